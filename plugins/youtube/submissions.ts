// Submitting a playlist: the checks in order (address, yt-dlp usable, caps, duplicate,
// metadata), then the row, its job and an optional follow in one transaction. Nothing is
// written and no process starts until the address has passed url-check.ts.
import type { YoutubeContext } from './plugin-config.ts'
import { activeDuplicate, countActive, table, type DownloadRow } from './downloads.ts'
import { countFollows, followByUrl, follows } from './follows.ts'
import { checkPlaylistUrl } from './url-check.ts'
import { folderName } from './library-paths.ts'
import { readMetadata, YtDlpError } from './yt-dlp.ts'
import type { Tools } from './tools.ts'

export type SubmitResult =
  | { ok: true; download: DownloadRow; followed: boolean }
  | { ok: false; field: 'url' | 'follow'; message: string; duplicate?: DownloadRow }

export async function submitPlaylist(ctx: YoutubeContext, tools: Tools, userId: string, input: { url: unknown; follow: boolean }): Promise<SubmitResult> {
  const checked = checkPlaylistUrl(input.url, ctx.config.allowedHosts)
  if (!checked.ok) return { ok: false, field: 'url', message: checked.message }
  const url = checked.url

  const unusable = await tools.unusable()
  if (unusable) return { ok: false, field: 'url', message: unusable }
  const duplicate = await activeDuplicate(ctx.db, userId, url)
  if (duplicate) return { ok: false, field: 'url', message: 'You are already downloading this playlist.', duplicate }
  const cap = ctx.config.maxActivePerUser
  if ((await countActive(ctx.db, userId)) >= cap) {
    return { ok: false, field: 'url', message: `You have ${cap} downloads queued or running, the most at once. Wait for one to finish, or cancel one.` }
  }
  const wantsFollow = input.follow && !(await followByUrl(ctx.db, userId, url))
  if (wantsFollow && (await countFollows(ctx.db, userId)) >= ctx.config.maxFollowsPerUser) {
    return { ok: false, field: 'follow', message: `You follow ${ctx.config.maxFollowsPerUser} playlists, the most allowed. Stop following one first.` }
  }

  let info
  try {
    info = await readMetadata(ctx.config.ytDlpPath, url, ctx.config.metadataTimeoutMs)
  } catch (error) {
    if (error instanceof YtDlpError) return { ok: false, field: 'url', message: error.message }
    throw error
  }
  if (info.entries.length === 0) return { ok: false, field: 'url', message: 'That playlist is empty, or yt-dlp found nothing to download there.' }
  if (info.entries.length > ctx.config.maxItems) return { ok: false, field: 'url', message: `That playlist has ${info.entries.length} items; at most ${ctx.config.maxItems} can be downloaded at once.` }

  const title = (info.title ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 300) || null
  let download: DownloadRow | null = null
  let refused: SubmitResult | null = null
  await ctx.db.transaction(async (trx) => {
    // Counted again under the person's lock: submissions at once (two tabs, two processes)
    // take turns here, so the cap holds; counting alone let them all pass together.
    await ctx.lock(trx, `active-downloads:${userId}`)
    if ((await countActive(trx, userId)) >= cap || (await activeDuplicate(trx, userId, url))) {
      refused = { ok: false, field: 'url', message: `You have ${cap} downloads queued or running, or this one is already queued.` }
      return
    }
    const [row] = await table(trx).insert({
      user_id: userId, playlist_url: url, playlist_title: title, kind: info.kind, item_count: info.entries.length,
      folder: 'pending', archive_key: '00000000-0000-0000-0000-000000000000',
    }).returning('*')
    // The folder and archive are named after the row, so two playlists with one title never share an archive.
    // Another download's folder is never shared: deleting one's files must not take the other's.
    const base = folderName(title, `playlist-${row.id.slice(0, 8)}`)
    let folder = base
    for (let n = 2; await table(trx).where({ folder }).whereNot({ id: row.id }).first('id'); n++) folder = `${base.slice(0, 90)} (${n})`
    const jobId = await ctx.jobs.enqueue('download', { downloadId: row.id }, { trx, dedupeKey: `download:${row.id}` })
    ;[download] = await table(trx).where({ id: row.id }).update({ folder, archive_key: row.id, job_id: jobId }).returning('*')
    if (wantsFollow) {
      await follows(trx).insert({ user_id: userId, playlist_url: url, playlist_title: title, folder, archive_key: row.id, next_check_at: new Date(ctx.clock.nowMs() + ctx.config.followEveryHours * 3_600_000) })
    }
  })
  if (refused) return refused
  return { ok: true, download: download!, followed: wantsFollow }
}
