// Submitting a playlist: the checks in order (address, yt-dlp usable, caps, duplicate,
// already in the library, metadata), then the row, its job and an optional follow in one
// transaction. Nothing is written and no process starts until the address has passed
// url-check.ts. A playlist already downloaded (by anyone: the library is shared) is not
// copied again: the person is offered "check for new items", which downloads only what
// its archive lacks into the same folder and Plex collection.
import type { YoutubeContext } from './plugin-config.ts'
import { ACTIVE, activeDuplicate, countActive, latestForUrl, table, type DownloadRow } from './downloads.ts'
import { countFollows, followByUrl, follows } from './follows.ts'
import { checkPlaylistUrl } from './url-check.ts'
import { archiveFile, archivedIds, folderName } from './library-paths.ts'
import { readMetadata, YtDlpError } from './yt-dlp.ts'
import type { Tools } from './tools.ts'
import { addChannel } from './add-channel.ts'

export type SubmitResult =
  | { ok: true; download: DownloadRow; followed: boolean }
  /** "Check for new items" found none: nothing was written. */
  | { ok: true; download: null; title: string; items: number }
  /** A channel followed without downloading now ("only new uploads", or one already in the library). */
  | { ok: true; download: null; following: string; shared: boolean }
  | { ok: false; field: 'url' | 'follow' | 'profile' | 'start' | 'newest'; message: string; duplicate?: DownloadRow; inLibrary?: DownloadRow }

export interface SubmitInput { url: unknown; follow: boolean; newItems?: boolean; profile?: unknown; start?: unknown; newest?: unknown }

const BEING_DOWNLOADED = 'Someone is downloading this playlist right now; it will be in the library when they are done.'

export async function submitPlaylist(ctx: YoutubeContext, tools: Tools, userId: string, input: SubmitInput): Promise<SubmitResult> {
  const checked = checkPlaylistUrl(input.url, ctx.config.allowedHosts)
  if (!checked.ok) return { ok: false, field: 'url', message: checked.message }
  const url = checked.url
  const profileId = input.profile === undefined || input.profile === '' ? ctx.config.defaultProfile : input.profile
  const profile = ctx.config.profiles.find((p) => p.id === profileId)
  if (!profile) return { ok: false, field: 'profile', message: `Pick one of the qualities offered: ${ctx.config.profiles.map((p) => p.label).join(', ')}.` }

  const unusable = await tools.unusable()
  if (unusable) return { ok: false, field: 'url', message: unusable }
  if (checked.kind === 'channel') {
    const start = input.start === undefined || input.start === '' ? 'newest' : input.start
    if (start !== 'new' && start !== 'newest') return { ok: false, field: 'start', message: 'Choose the newest uploads or only new ones.' }
    const max = ctx.config.newestMax
    const newest = input.newest === undefined || input.newest === '' ? ctx.config.newestDefault : Number(input.newest)
    if (start === 'newest' && (!Number.isInteger(newest) || newest < 1 || newest > max)) return { ok: false, field: 'newest', message: `Give a whole number from 1 to ${max}.` }
    return addChannel(ctx, userId, url, profile, { start, newest })
  }
  const duplicate = await activeDuplicate(ctx.db, userId, url)
  if (duplicate) return { ok: false, field: 'url', message: 'You are already downloading this playlist.', duplicate }
  const inLibrary = await latestForUrl(ctx.db, url)
  if (inLibrary && ACTIVE.includes(inLibrary.status)) return { ok: false, field: 'url', message: BEING_DOWNLOADED }
  if (inLibrary && !input.newItems) {
    const name = inLibrary.playlist_title ?? inLibrary.playlist_url
    return { ok: false, field: 'url', message: `“${name}” is already in the library. Check it for new items instead: only what is new is downloaded, into the same folder and Plex collection.`, inLibrary }
  }
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
  // Checking for new items: only what the archive of the earlier download does not list yet.
  const known = inLibrary ? archivedIds(archiveFile(ctx.config.libraryPath, inLibrary.archive_key)) : new Set<string>()
  const fresh = info.entries.filter((e) => !known.has(e.id))
  if (inLibrary && fresh.length === 0) return { ok: true, download: null, title: inLibrary.playlist_title ?? inLibrary.playlist_url, items: info.entries.length }
  if (fresh.length > ctx.config.maxItems) return { ok: false, field: 'url', message: `That playlist has ${fresh.length} ${inLibrary ? 'new ' : ''}items; at most ${ctx.config.maxItems} can be downloaded at once.` }

  const title = (info.title ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 300) || null
  let download: DownloadRow | null = null
  let refused: SubmitResult | null = null
  const insertFollow = (trx: Parameters<typeof follows>[0], row: DownloadRow) => follows(trx).insert({
    user_id: userId, playlist_url: url, playlist_title: row.playlist_title, folder: row.folder, archive_key: row.archive_key,
    plex_collection_id: row.plex_collection_id, profile: row.profile, next_check_at: new Date(ctx.clock.nowMs() + ctx.config.followEveryHours * 3_600_000),
  })
  await ctx.db.transaction(async (trx) => {
    // Counted again under the person's lock: submissions at once (two tabs, two processes)
    // take turns here, so the cap holds; counting alone let them all pass together.
    await ctx.lock(trx, `active-downloads:${userId}`)
    if ((await countActive(trx, userId)) >= cap || (await activeDuplicate(trx, userId, url))) {
      refused = { ok: false, field: 'url', message: `You have ${cap} downloads queued or running, or this one is already queued.` }
      return
    }
    if (inLibrary) {
      // Two people checking one playlist at once: one archive, so one download at a time.
      await ctx.lock(trx, `archive:${inLibrary.archive_key}`)
      if (await table(trx).where({ archive_key: inLibrary.archive_key }).whereIn('status', ACTIVE).first('id')) {
        refused = { ok: false, field: 'url', message: BEING_DOWNLOADED }
        return
      }
      const [row] = await table(trx).insert({
        user_id: userId, playlist_url: url, playlist_title: inLibrary.playlist_title, kind: info.kind, item_count: fresh.length,
        folder: inLibrary.folder, archive_key: inLibrary.archive_key, archive_start: known.size, plex_collection_id: inLibrary.plex_collection_id,
        profile: profile.id, thumbnail_url: info.thumbnail,
      }).returning('*')
      const jobId = await ctx.jobs.enqueue('download', { downloadId: row.id }, { trx, dedupeKey: `download:${row.id}` })
      ;[download] = await table(trx).where({ id: row.id }).update({ job_id: jobId }).returning('*')
      if (wantsFollow) await insertFollow(trx, row)
      return
    }
    const [row] = await table(trx).insert({
      user_id: userId, playlist_url: url, playlist_title: title, kind: info.kind, item_count: info.entries.length,
      folder: 'pending', archive_key: '00000000-0000-0000-0000-000000000000', profile: profile.id, thumbnail_url: info.thumbnail,
    }).returning('*')
    // The folder and archive are named after the row, so two playlists with one title never share an archive.
    // Another download's folder is never shared: deleting one's files must not take the other's.
    const base = folderName(title, `playlist-${row.id.slice(0, 8)}`)
    let folder = base
    const taken = async (name: string) => Boolean(await table(trx).where({ folder: name }).whereNot({ id: row.id }).first('id')) || Boolean(await follows(trx).where({ folder: name }).first('id'))
    for (let n = 2; await taken(folder); n++) folder = `${base.slice(0, 90)} (${n})`
    const jobId = await ctx.jobs.enqueue('download', { downloadId: row.id }, { trx, dedupeKey: `download:${row.id}` })
    ;[download] = await table(trx).where({ id: row.id }).update({ folder, archive_key: row.id, job_id: jobId }).returning('*')
    if (wantsFollow) await insertFollow(trx, download!)
  })
  if (refused) return refused
  return { ok: true, download: download!, followed: wantsFollow }
}
