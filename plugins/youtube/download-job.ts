// The download job: one run of yt-dlp for one row, queued → downloading → completed |
// failed | cancelled. Safe to run again: yt-dlp continues the .part files in the row's
// working folder (`--continue`) and skips what the archive lists, so a crash, a restart
// or a retry resumes where it stopped. A process group left by a crashed MediaNest on
// this machine is stopped first, so two yt-dlps never write the same file.
import fs from 'node:fs'
import path from 'node:path'
import type { JobFailure, JobRunContext, Knex } from 'medianest/plugin-api'
import type { YoutubeContext } from './plugin-config.ts'
import { getDownload, moveStatus, type DownloadRow } from './downloads.ts'
import { archiveFile, archivedIds, forgetInArchive, freeBytes, isInside, playlistDir, workDir } from './library-paths.ts'
import { recordItem } from './items.ts'
import { download, groupAlive, stopGroup, type DownloadResult, type Progress } from './yt-dlp.ts'
import type { Tools } from './tools.ts'
import { publishRow } from './live-row.ts'
import { posterFor, readable, thumbnailBeside } from './assets.ts'
import { profileArgs, withoutFfmpeg } from './profiles.ts'
import { COMPLETED, DISK_FULL, FAILED } from './event-types.ts'

export const DOWNLOAD_ATTEMPTS = 3
const PUSH_EVERY_MS = 1000
const DISK_CHECK_EVERY_MS = 5000

export async function runDownloadJob(ctx: YoutubeContext, tools: Tools, downloadId: string, job: JobRunContext): Promise<void> {
  const row = await getDownload(ctx.db, downloadId)
  if (!row || (row.status !== 'queued' && row.status !== 'downloading')) return
  if (row.worker_pid && isOurOrphan(row.worker_pid)) {
    job.log.warn(`download ${row.id}: stopping yt-dlp (process group ${row.worker_pid}) left by a previous run`)
    await stopGroup(row.worker_pid)
  }
  const unusable = await tools.unusable()
  if (unusable) return fail(ctx, row, unusable)

  const lib = ctx.config.libraryPath
  const home = playlistDir(lib, row.folder)
  const temp = workDir(lib, row.id)
  const archive = archiveFile(lib, row.archive_key)
  for (const dir of [home, temp, archiveFile(lib, row.archive_key).replace(/\/[^/]+$/, '')]) fs.mkdirSync(dir, { recursive: true })

  const minFree = ctx.config.minFreeMiB * 1024 * 1024
  const free = await freeBytes(lib)
  if (free !== null && free < minFree) return fail(ctx, row, noSpace(free, minFree), undefined, undefined, true)

  let itemsDone = Math.max(0, archivedIds(archive).size - row.archive_start)
  // A retry keeps saying why the last attempt failed until this one ends one way or the other.
  const current = await moveStatus(ctx.db, row.id, ['queued', 'downloading'], {
    status: 'downloading', ...(job.attempt > 1 ? {} : { error: null }), items_done: itemsDone, current_percent: 0, speed_bps: null, eta_seconds: null,
  })
  if (!current) return
  await publishRow(ctx, current)

  const files = new Set(row.file_paths ?? [])
  // The quality asked for (a profile an admin has since removed falls back to the default).
  const profile = ctx.config.profiles.find((p) => p.id === row.profile) ?? ctx.config.profiles.find((p) => p.id === ctx.config.defaultProfile)!
  const ffmpeg = { path: ctx.config.ffmpegPath, ok: Boolean(tools.state().ffmpeg?.ok) }
  // What could not be made beside the files (kept across attempts): said on the row, never a failure.
  const notes = new Set((row.notes ?? '').split('\n').filter(Boolean))
  if (!ffmpeg.ok) notes.add(withoutFfmpeg(profile))
  const poster = await posterFor(home, row.thumbnail_url, { ffmpeg, allowedHosts: ctx.config.allowedHosts, signal: job.signal })
  if (poster) notes.add(poster)
  const noteText = () => (notes.size ? [...notes].join('\n').slice(0, 4000) : null)
  let assets = Promise.resolve()
  /** Files that came out unreadable, with the item id each was (to take it out of the archive). */
  const damaged = new Map<string, string | null>()
  let last: Progress | null = null
  // The item downloading now, and how far into it: all its streams (video and audio are
  // two, merged after) make one 0–100 %, which only goes up until the next item starts.
  let currentItem: number | null = null
  let itemOf: number | null = null
  let itemId: string | null = null
  let streams = 1
  let streamsDone = 0
  let itemPercent = 0
  let lastPush = -Infinity
  // A host that stops sending (a hung connection yt-dlp waits on, retry after retry) fails the
  // attempt after stallTimeoutMs without a byte. Post-processing (every stream of the item in,
  // ffmpeg merging) sends no progress lines, so it does not count as a stall.
  let lastActivity = performance.now()
  let lastBytes = -1
  let stalled: string | null = null
  const stallMs = ctx.config.stallTimeoutMs
  const watchdog = setInterval(() => {
    // Counted from the first item: reading the playlist is bounded by yt-dlp's own retries.
    const postProcessing = currentItem !== null && streamsDone >= streams
    if (stalled || currentItem === null || postProcessing || performance.now() - lastActivity < stallMs) return
    stalled = `The video host stopped sending data: nothing arrived for ${humanStall(stallMs)}.`
    if (pid) void stopGroup(pid)
  }, Math.min(5000, Math.max(250, stallMs / 4)))
  // Throttles on elapsed real time (how often the browser and the disk are asked), not on the host's clock.
  let lastDiskCheck = performance.now()
  let diskFull: string | null = null
  let pid: number | null = null
  let writing: Promise<void> = Promise.resolve()
  // Writes run one after another, never overlapping: the last one wins.
  const flush = () => {
    lastPush = performance.now()
    const p = last
    const changes: Partial<DownloadRow> = {
      items_done: itemsDone, current_percent: itemPercent, current_item: currentItem, ...(itemOf ? { item_count: Math.max(itemOf, row.item_count) } : {}), speed_bps: p?.speed ?? null, eta_seconds: p?.eta === null || p?.eta === undefined ? null : Math.round(p.eta),
      file_paths: [...files], notes: noteText(),
    }
    writing = writing.then(async () => {
      const updated = await moveStatus(ctx.db, row.id, ['downloading'], changes)
      if (updated) await publishRow(ctx, updated)
    }).catch((error: Error) => { job.log.warn(`download ${row.id}: recording progress failed: ${error.message}`) })
  }
  const checkDisk = () => {
    if (performance.now() - lastDiskCheck < DISK_CHECK_EVERY_MS || diskFull) return
    lastDiskCheck = performance.now()
    void freeBytes(lib).then((f) => {
      if (f !== null && f < minFree / 2 && !diskFull) {
        diskFull = noSpace(f, minFree)
        if (pid) void stopGroup(pid)
      }
    })
  }

  // A picture cut short by a full disk stays 0 bytes, and yt-dlp would keep it ("already present").
  for (const name of fs.readdirSync(temp)) {
    const file = path.join(temp, name)
    if (/\.(jpe?g|png|webp|gif|avif)$/i.test(name) && fs.statSync(file).size === 0) fs.rmSync(file, { force: true })
  }
  let result = await download({
    ytDlpPath: ctx.config.ytDlpPath, ffmpegPath: ctx.config.ffmpegPath, url: row.playlist_url, items: row.item_urls,
    home, temp, archive, signal: job.signal, template: ctx.config.fileTemplate, profileArgs: profileArgs(profile, ffmpeg.ok),
    onSpawn(p) {
      pid = p
      writing = writing.then(async () => { await ctx.db('youtube_downloads').where({ id: row.id }).update({ worker_pid: p }) })
    },
    onItem(item) {
      lastActivity = performance.now()
      // Everything before this item is finished and in the archive by now.
      itemsDone = Math.max(itemsDone, archivedIds(archive).size - row.archive_start)
      currentItem = item.index ?? itemsDone + 1
      itemOf = item.of
      itemId = item.id
      streams = item.streams
      streamsDone = 0
      itemPercent = 0
      last = null
      flush()
      // The item's first progress line is written at once too, whatever the throttle says.
      lastPush = -Infinity
    },
    onProgress(p) {
      last = p
      const bytes = p.downloadedBytes ?? 0
      if (bytes !== lastBytes || p.status === 'finished') lastActivity = performance.now()
      lastBytes = bytes
      if (itemId === null || p.id === itemId) {
        const fraction = p.status === 'finished' ? 1 : p.totalBytes ? Math.min(1, (p.downloadedBytes ?? 0) / p.totalBytes) : 0
        itemPercent = Math.max(itemPercent, Math.min(100, ((streamsDone + fraction) / streams) * 100))
        if (p.status === 'finished') streamsDone = Math.min(streams, streamsDone + 1)
      }
      checkDisk()
      if (performance.now() - lastPush >= PUSH_EVERY_MS) flush()
    },
    onFile(file, item) {
      if (!isInside(lib, file)) return job.log.warn(`download ${row.id}: yt-dlp reported a file outside the library, ignored: ${file}`)
      files.add(file)
      lastActivity = performance.now()
      const id = itemId
      assets = assets.then(async () => {
        // ffmpeg re-writes each file to embed metadata; on a disk that fills up meanwhile it can
        // leave a truncated file behind and still succeed. Such a file is not kept, nor archived.
        if (!(await readable(file, ffmpeg))) {
          damaged.set(file, id)
          files.delete(file)
          fs.rmSync(file, { force: true })
          return
        }
        const note = await thumbnailBeside(file, ffmpeg)
        if (note) notes.add(note)
        // Recorded once whole and with its thumbnail: retention never sees a file still being made.
        // A record that cannot be written leaves the file out of retention (kept), never the other way.
        await recordItem(ctx.db, { archiveKey: row.archive_key, downloadId: row.id, videoId: item.id, filePath: file, uploadDate: item.uploadDate })
          .catch((error: Error) => job.log.warn(`download ${row.id}: recording ${item.id} for retention failed: ${error.message}`))
      })
      // Done with this item: it stays at 100 % until the next one starts (and the archive, which lags a moment, is read then).
      itemPercent = 100
      last = null
      flush()
    },
  }).catch((error: Error): DownloadResult => ({ code: null, signal: null, reason: error.message }))
    .finally(() => clearInterval(watchdog))
  await assets
  await writing
  if (damaged.size) forgetInArchive(archive, new Set([...damaged.values()].filter((id) => id !== null)))
  itemsDone = Math.max(itemsDone, archivedIds(archive).size - row.archive_start)

  if (job.signal.aborted) {
    // Cancelled (the row says so already), or stopped by shutdown, a lost lease or the
    // timeout: the core queues the job again, and the row waits for it.
    const back = await moveStatus(ctx.db, row.id, ['downloading'], { status: 'queued', worker_pid: null, speed_bps: null, eta_seconds: null, file_paths: [...files], items_done: itemsDone, notes: noteText() })
    if (back) await publishRow(ctx, back)
    return
  }
  if (diskFull) return fail(ctx, row, diskFull, [...files], itemsDone, true)
  if (damaged.size) {
    const names = [...damaged.keys()].map((f) => `“${f.split('/').pop()}”`).join(', ')
    const free = await freeBytes(lib)
    const reason = free !== null && free < minFree
      ? noSpace(free, minFree)
      : `${names} came out unreadable after post-processing, so ${damaged.size === 1 ? 'it was' : 'they were'} removed to be downloaded again`
    result = { code: 1, signal: null, reason: free !== null && free < minFree ? `No space left: ${reason}` : reason }
  }
  // The last attempt, and only some items failed on their own (members-only, private, taken
  // down: another try would not change that): the rest is kept as done, and the row says which.
  const partly = job.attempt >= DOWNLOAD_ATTEMPTS && result.code === 1 && Boolean(result.itemErrors?.size) && files.size > 0 && !damaged.size
  if (partly) {
    for (const [id, why] of result.itemErrors!) notes.add(`Not downloaded: ${id}: ${why}`)
    result = { ...result, code: 0 }
  }
  if (result.code === 0 || result.code === 101) {
    let done: DownloadRow | null = null
    await ctx.db.transaction(async (trx) => {
      done = await moveStatus(trx, row.id, ['downloading'], {
        status: 'completed', completed_at: ctx.clock.now(), file_paths: [...files], items_done: partly ? itemsDone : Math.max(itemsDone, row.item_count), notes: noteText(),
        current_percent: 100, speed_bps: null, eta_seconds: null, worker_pid: null, error: null, plex_state: 'pending', plex_error: null,
      })
      if (!done) return
      await ctx.events.emit(COMPLETED, { downloadId: row.id, userId: row.user_id, title: row.playlist_title ?? row.playlist_url, files: files.size }, { trx })
      await ctx.jobs.enqueue('plex-sync', { downloadId: row.id }, { trx, dedupeKey: `plex-sync:${row.id}` })
    })
    if (done) await publishRow(ctx, done)
    return
  }
  const reason = stalled ?? describeExit(result)
  const full = /No space left|Errno 28|ENOSPC/i.test(result.reason)
  // A full disk is not retried in a loop: the download fails with the reason and admins are told.
  if (full || result.code === 2 || job.attempt >= DOWNLOAD_ATTEMPTS) return fail(ctx, row, reason, [...files], itemsDone, full)
  const again = await moveStatus(ctx.db, row.id, ['downloading'], {
    status: 'queued', worker_pid: null, speed_bps: null, eta_seconds: null, file_paths: [...files], items_done: itemsDone, notes: noteText(),
    error: `Attempt ${job.attempt} of ${DOWNLOAD_ATTEMPTS} failed (${reason}); MediaNest tries again.`,
  })
  if (again) await publishRow(ctx, again)
  throw new Error(reason)
}

async function fail(ctx: YoutubeContext, row: DownloadRow, reason: string, files?: string[], itemsDone?: number, diskFull = false): Promise<void> {
  const changes = { ...(files ? { file_paths: files } : {}), ...(itemsDone !== undefined ? { items_done: itemsDone } : {}) }
  const failed = await ctx.db.transaction((trx) => failInside(ctx, trx, row.id, reason, changes, diskFull))
  if (failed) await publishRow(ctx, failed)
}

/** Moves a queued or downloading row to failed and tells its owner; null when it had moved on already. */
async function failInside(
  ctx: YoutubeContext, trx: Knex.Transaction, id: string, reason: string, changes: Partial<DownloadRow> = {}, diskFull = false,
): Promise<DownloadRow | null> {
  const failed = await moveStatus(trx, id, ['queued', 'downloading'], {
    status: 'failed', error: reason.slice(0, 2000), worker_pid: null, speed_bps: null, eta_seconds: null, ...changes,
  })
  if (!failed) return null
  const title = failed.playlist_title ?? failed.playlist_url
  await ctx.events.emit(FAILED, { downloadId: id, userId: failed.user_id, title, reason: reason.slice(0, 300) }, { trx })
  if (diskFull) await ctx.events.emit(DISK_FULL, { downloadId: id, title }, { trx })
  return failed
}

/**
 * The job failed for good without the handler saying so: its last attempt timed out, or
 * the process running it died. The row must not stay queued or downloading, where it
 * would show progress forever and count against its owner's active downloads.
 */
export async function downloadJobFailed(ctx: YoutubeContext, failure: JobFailure<{ downloadId: string }>): Promise<void> {
  const id = failure.payload?.downloadId
  if (!id) return
  const before = await getDownload(failure.trx, id)
  const failed = await failInside(ctx, failure.trx, id, `Stopped for good: ${failure.error}`)
  if (!failed) return
  failure.log.warn(`download ${id}: its job failed for good (${failure.error}); marked failed`)
  const orphan = before?.worker_pid
  failure.afterCommit(async () => {
    // A dead process's yt-dlp may still be writing into the working folder.
    if (orphan && isOurOrphan(orphan)) await stopGroup(orphan)
    await publishRow(ctx, failed)
  })
}

function describeExit(result: { code: number | null; signal: NodeJS.Signals | null; reason: string }): string {
  const why = result.reason.trim().split('\n').filter(Boolean).slice(-3).join(' ').replace(/^ERROR:\s*/, '').slice(0, 600)
  if (/No space left|Errno 28|ENOSPC/i.test(result.reason)) return `The disk is full (${why}). Partial files are kept: free some space and retry.`
  const how = result.code === null ? `yt-dlp was stopped (${result.signal ?? 'no signal'})` : `yt-dlp exited with code ${result.code}`
  return `${how}: ${why || 'no reason given'}`
}

const humanStall = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`)

const noSpace = (free: number, needed: number) =>
  `Not enough free space under the library: ${Math.round(free / 1048576)} MiB free, ${Math.round(needed / 1048576)} MiB needed. Partial files are kept: free some space and retry.`

/** A process group left by a crashed run: alive, and its leader is yt-dlp (not a recycled pid). */
function isOurOrphan(pid: number): boolean {
  if (!groupAlive(pid)) return false
  try {
    return /yt-dlp|yt_dlp/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
  } catch {
    return false
  }
}
