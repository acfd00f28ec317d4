// Adding a channel: always a followed source. Its name and avatar are read first (one
// listing read, the newest page), then either its newest N uploads are queued and the rest
// of that page written into its archive as known, or, for "only new uploads from now on",
// the whole page is written as known and nothing is downloaded.
// A channel someone already brought into the library is shared: the new follower gets the
// same folder, archive and Plex collection, and nothing is downloaded twice.
import crypto from 'node:crypto'
import type { YoutubeContext } from './plugin-config.ts'
import { countActive, latestForUrl, table, type DownloadRow } from './downloads.ts'
import { countFollows, followByUrl, follows } from './follows.ts'
import { archiveFile, folderName } from './library-paths.ts'
import { itemUrls, LISTING_PAGE, markKnown, newestOf, sourceTitle } from './sources.ts'
import { YtDlpError, type PlaylistInfo } from './yt-dlp.ts'
import type { Profile } from './profiles.ts'
import type { SubmitResult } from './submissions.ts'

export interface ChannelStart { start: 'new' | 'newest'; newest: number }

export async function addChannel(ctx: YoutubeContext, userId: string, url: string, profile: Profile, start: ChannelStart): Promise<SubmitResult> {
  if (await followByUrl(ctx.db, userId, url)) return { ok: false, field: 'url', message: 'You follow this channel already; it is in your list below.' }
  const maxFollows = ctx.config.maxFollowsPerUser
  if ((await countFollows(ctx.db, userId)) >= maxFollows) return { ok: false, field: 'url', message: `You follow ${maxFollows} playlists and channels, the most allowed. Stop following one first.` }
  const shared = await latestForUrl(ctx.db, url) ?? await follows(ctx.db).where({ playlist_url: url }).orderBy('created_at', 'asc').first() ?? null
  const queues = !shared && start.start === 'newest'
  const cap = ctx.config.maxActivePerUser
  if (queues && (await countActive(ctx.db, userId)) >= cap) {
    return { ok: false, field: 'url', message: `You have ${cap} downloads queued or running, the most at once. Wait for one to finish, or cancel one.` }
  }

  let info: PlaylistInfo
  try {
    // At least a whole page, whatever N: what is not queued is written down as known below.
    info = await newestOf(ctx.config, url, Math.max(queues ? start.newest : 0, LISTING_PAGE))
  } catch (error) {
    if (error instanceof YtDlpError) return { ok: false, field: 'url', message: error.message }
    throw error
  }
  const title = sourceTitle(info)
  if (queues && info.entries.length === 0) return { ok: false, field: 'url', message: 'That channel has no uploads yet. Follow it with “only new uploads from now on” instead.' }
  const wanted = queues ? info.entries.slice(0, start.newest) : []
  // The rest of the newest page is known from the start: if the first download fails for
  // good, a check still stops there instead of reading back through the whole channel.
  const known = queues ? info.entries.slice(start.newest) : info.entries
  const urls = itemUrls(ctx.config, wanted)
  if (queues && urls.length === 0) return { ok: false, field: 'url', message: 'yt-dlp listed that channel without an address for any of its uploads, so none can be downloaded.' }

  let download: DownloadRow | null = null
  let refused: SubmitResult | null = null
  await ctx.db.transaction(async (trx) => {
    // Under the person's lock, as a playlist's submission: two tabs adding at once take turns.
    await ctx.lock(trx, `active-downloads:${userId}`)
    if (await followByUrl(trx, userId, url)) {
      refused = { ok: false, field: 'url', message: 'You follow this channel already; it is in your list below.' }
      return
    }
    if (queues && (await countActive(trx, userId)) >= cap) {
      refused = { ok: false, field: 'url', message: `You have ${cap} downloads queued or running, the most at once.` }
      return
    }
    let folder = shared?.folder
    let archiveKey = shared?.archive_key
    if (!folder || !archiveKey) {
      archiveKey = crypto.randomUUID()
      const base = folderName(title, `channel-${archiveKey.slice(0, 8)}`)
      folder = base
      const taken = async (name: string) => Boolean(await table(trx).where({ folder: name }).first('id')) || Boolean(await follows(trx).where({ folder: name }).first('id'))
      for (let n = 2; await taken(folder); n++) folder = `${base.slice(0, 90)} (${n})`
    }
    // Written before the rows commit: a stray archive (the commit failing) is harmless, a
    // follow without it would read the channel's whole listing at its first check.
    if (!shared) markKnown(archiveFile(ctx.config.libraryPath, archiveKey), known)
    if (queues) {
      const [row] = await table(trx).insert({
        user_id: userId, playlist_url: url, playlist_title: title, kind: 'channel', item_count: urls.length, item_urls: JSON.stringify(urls) as never,
        folder, archive_key: archiveKey, archive_start: known.length, profile: profile.id, thumbnail_url: info.thumbnail,
      }).returning('*')
      const jobId = await ctx.jobs.enqueue('download', { downloadId: row.id }, { trx, dedupeKey: `download:${row.id}` })
      ;[download] = await table(trx).where({ id: row.id }).update({ job_id: jobId }).returning('*')
    }
    await follows(trx).insert({
      user_id: userId, playlist_url: url, playlist_title: title ?? shared?.playlist_title ?? null, kind: 'channel', thumbnail_url: info.thumbnail,
      folder, archive_key: archiveKey, plex_collection_id: shared?.plex_collection_id ?? null, profile: profile.id,
      next_check_at: new Date(ctx.clock.nowMs() + ctx.config.followEveryHours * 3_600_000),
    })
  })
  if (refused) return refused
  if (download) return { ok: true, download, followed: true }
  return { ok: true, download: null, following: title ?? url, shared: Boolean(shared) }
}
