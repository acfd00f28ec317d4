// Followed playlists (youtube_follows): a cluster schedule re-reads each one when due and
// queues a download for what its archive does not list yet, into the same folder and the
// same Plex collection.
import { NotFound, type Knex, type Request } from 'medianest/plugin-api'
import type { YoutubeContext } from './plugin-config.ts'
import { ACTIVE, isUuid, table as downloads } from './downloads.ts'
import { archiveFile, archivedIds } from './library-paths.ts'
import { itemUrls, newItems } from './sources.ts'
import type { Tools } from './tools.ts'
import { PLAYLIST_UPDATED } from './event-types.ts'

export interface FollowRow {
  id: string
  user_id: string
  playlist_url: string
  playlist_title: string | null
  kind: 'playlist' | 'channel'
  /** The channel's avatar or the playlist's picture (the folder's poster.jpg). */
  thumbnail_url: string | null
  folder: string
  archive_key: string
  every_hours: number | null
  /** Retention: keep everything, the newest keep_count uploads, or what arrived in the last keep_days days. */
  keep: 'all' | 'newest' | 'days'
  keep_count: number | null
  keep_days: number | null
  profile: string | null
  plex_collection_id: string | null
  next_check_at: Date
  last_checked_at: Date | null
  last_error: string | null
  created_at: Date
}

export const follows = (db: Knex | Knex.Transaction) => db<FollowRow>('youtube_follows')

export async function listFollows(db: Knex, userId: string): Promise<FollowRow[]> {
  return follows(db).where({ user_id: userId }).orderBy('created_at', 'asc')
}

export async function countFollows(db: Knex | Knex.Transaction, userId: string): Promise<number> {
  const row = await follows(db).where({ user_id: userId }).select(db.raw('count(*)::int as n')).first()
  return Number((row as unknown as { n: number }).n)
}

export async function ownFollow(db: Knex, userId: string, id: string): Promise<FollowRow | null> {
  if (!isUuid(id)) return null
  return (await follows(db).where({ id, user_id: userId }).first()) ?? null
}

/** The viewer's follow named in the route (`:id`), or a 404: someone else's looks exactly like a missing one. */
export async function followOfRequest(ctx: YoutubeContext, req: Request): Promise<FollowRow> {
  const f = await ownFollow(ctx.db, ctx.http.mustViewer(req).id, String(req.params.id))
  if (!f) throw new NotFound('No such followed channel or playlist.')
  return f
}

export async function followByUrl(db: Knex | Knex.Transaction, userId: string, url: string): Promise<FollowRow | null> {
  return (await follows(db).where({ user_id: userId, playlist_url: url }).first()) ?? null
}

const everyMs = (ctx: YoutubeContext, f: FollowRow) => Math.round((f.every_hours ?? ctx.config.followEveryHours) * 3_600_000)

/** Checks every follow that is due; one failing playlist does not stop the others. */
export async function checkDueFollows(ctx: YoutubeContext, tools: Tools, signal: AbortSignal): Promise<number> {
  const due = await follows(ctx.db).where('next_check_at', '<=', ctx.clock.now()).orderBy('next_check_at', 'asc').limit(50)
  let queued = 0
  for (const f of due) {
    if (signal.aborted) break
    try {
      if (await checkFollow(ctx, tools, f)) queued++
    } catch (error) {
      ctx.log.warn(`followed playlist ${f.id}: the check failed: ${(error as Error).message}`)
      await follows(ctx.db).where({ id: f.id }).update({ last_error: (error as Error).message.slice(0, 1000), last_checked_at: ctx.clock.now() })
    }
  }
  return queued
}

/** One follow: true when new items were found and queued. */
export async function checkFollow(ctx: YoutubeContext, tools: Tools, f: FollowRow): Promise<boolean> {
  // The next check is booked first, so a playlist that always fails is not re-read every minute.
  await follows(ctx.db).where({ id: f.id }).update({ next_check_at: new Date(ctx.clock.nowMs() + everyMs(ctx, f)) })
  const busy = await downloads(ctx.db).where({ archive_key: f.archive_key }).whereIn('status', ACTIVE).first('id')
  if (busy) return false
  const unusable = await tools.unusable()
  if (unusable) throw new Error(unusable)
  const archive = archiveFile(ctx.config.libraryPath, f.archive_key)
  const known = archivedIds(archive)
  // A channel is read a page at a time up to the first known upload; a playlist whole.
  const { fresh } = await newItems(ctx.config, f.playlist_url, f.kind, known, ctx.config.maxItems)
  await follows(ctx.db).where({ id: f.id }).update({ last_checked_at: ctx.clock.now(), last_error: null })
  // A channel's uploads are fetched by their own addresses: exactly these, whatever lands meanwhile.
  const urls = f.kind === 'channel' ? itemUrls(ctx.config, fresh) : null
  if (fresh.length === 0 || urls?.length === 0) return false
  let queued = false
  await ctx.db.transaction(async (trx) => {
    // Retention takes this lock too: it never trims a source while its download is being queued.
    await ctx.lock(trx, `archive:${f.archive_key}`)
    if (await downloads(trx).where({ archive_key: f.archive_key }).whereIn('status', ACTIVE).first('id')) return
    queued = true
    const [row] = await downloads(trx).insert({
      user_id: f.user_id, playlist_url: f.playlist_url, playlist_title: f.playlist_title, kind: f.kind, folder: f.folder,
      archive_key: f.archive_key, archive_start: known.size, follow_id: f.id, item_count: urls?.length ?? fresh.length, plex_collection_id: f.plex_collection_id, profile: f.profile,
      item_urls: urls ? (JSON.stringify(urls) as never) : null, thumbnail_url: f.thumbnail_url,
    }).returning('*')
    const jobId = await ctx.jobs.enqueue('download', { downloadId: row.id }, { trx, dedupeKey: `download:${row.id}` })
    await downloads(trx).where({ id: row.id }).update({ job_id: jobId })
    await ctx.events.emit(PLAYLIST_UPDATED, { followId: f.id, downloadId: row.id, userId: f.user_id, title: f.playlist_title ?? f.playlist_url, newItems: fresh.length }, { trx })
  })
  return queued
}
