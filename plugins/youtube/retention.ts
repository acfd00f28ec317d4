// Retention: per source, keep everything, the newest N uploads, or what arrived in the last
// N days. A cluster schedule deletes the rest: only files this plugin recorded
// (youtube_items) and that lie inside the library, with their thumbnails and subtitles,
// never a pinned item, and never while a download of that source is queued or running
// (its files are still coming). Several people may follow one source: an item goes only
// when none of their rules keeps it. Plex is asked to rescan the folder in a job written
// with the change, so a crash right after still tells Plex.
import fs from 'node:fs'
import type { Knex } from 'medianest/plugin-api'
import type { YoutubeContext } from './plugin-config.ts'
import { ACTIVE, table as downloads } from './downloads.ts'
import { follows, type FollowRow } from './follows.ts'
import { items } from './items.ts'
import { isInside } from './library-paths.ts'
import { sidecarsOf } from './assets.ts'

export const KEEPS = ['all', 'newest', 'days'] as const
export type Keep = (typeof KEEPS)[number]
export type KeepRule = Pick<FollowRow, 'keep' | 'keep_count' | 'keep_days'>

/** Whether one follow's rule keeps an item; `rank` is its place among the source's items, newest upload first. */
export function keeps(rule: KeepRule, rank: number, downloadedAt: Date, nowMs: number): boolean {
  if (rule.keep === 'newest') return rank < (rule.keep_count ?? Infinity)
  if (rule.keep === 'days') return nowMs - downloadedAt.getTime() < (rule.keep_days ?? Infinity) * 86_400_000
  return true
}

/** One pass over every source with a rule; returns how many items were deleted. One failing source does not stop the rest. */
export async function applyRetention(ctx: YoutubeContext, signal: AbortSignal): Promise<number> {
  const sources = await follows(ctx.db).whereNot({ keep: 'all' }).distinct('archive_key').limit(1000)
  let deleted = 0
  for (const { archive_key: key } of sources) {
    if (signal.aborted) break
    try {
      deleted += await retainSource(ctx, key)
    } catch (error) {
      ctx.log.warn(`retention of source ${key} failed: ${(error as Error).message}`)
    }
  }
  return deleted
}

async function retainSource(ctx: YoutubeContext, archiveKey: string): Promise<number> {
  return ctx.db.transaction(async (trx) => {
    // The lock a new download of this source takes: retention and a queued download take turns.
    await ctx.lock(trx, `archive:${archiveKey}`)
    if (await downloads(trx).where({ archive_key: archiveKey }).whereIn('status', ACTIVE).first('id')) return 0
    const rules = await follows(trx).where({ archive_key: archiveKey })
    if (rules.length === 0 || rules.some((r) => r.keep === 'all')) return 0
    const live = await items(trx).where({ archive_key: archiveKey }).whereNull('deleted_at').orderByRaw('upload_date desc nulls last, downloaded_at desc, id')
    const now = ctx.clock.nowMs()
    const victims = live.filter((item, rank) => !item.pinned && !rules.some((r) => keeps(r, rank, item.downloaded_at, now)))
    if (victims.length === 0) return 0
    await items(trx).whereIn('id', victims.map((v) => v.id)).update({ deleted_at: ctx.clock.now() })
    await forgetPaths(trx, archiveKey, new Set(victims.map((v) => v.file_path)))
    await ctx.jobs.enqueue('plex-forget', { folder: rules[0].folder, collectionKey: null }, { trx })
    // Deleted before the commit: a crash in between leaves the rows live, and the next pass deletes again.
    for (const v of victims) {
      if (!isInside(ctx.config.libraryPath, v.file_path)) continue
      for (const file of [...sidecarsOf(v.file_path), v.file_path]) fs.rmSync(file, { force: true })
    }
    ctx.log.info(`retention deleted ${victims.length} item(s) of ${rules[0].playlist_title ?? rules[0].folder}`)
    return victims.length
  })
}

/** Takes deleted files out of the downloads that list them. */
export async function forgetPaths(trx: Knex.Transaction, archiveKey: string, gone: Set<string>): Promise<void> {
  const rows = await downloads(trx).where({ archive_key: archiveKey }).whereNotNull('file_paths').select('id', 'file_paths')
  for (const r of rows) {
    const kept = (r.file_paths ?? []).filter((f) => !gone.has(f))
    if (kept.length !== (r.file_paths ?? []).length) await downloads(trx).where({ id: r.id }).update({ file_paths: JSON.stringify(kept) as never })
  }
}
