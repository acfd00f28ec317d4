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
import { ItemProgress, StallWatch } from './item-progress.ts'
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
  const item = new ItemProgress()
  let lastPush = -Infinity
  const stall = new StallWatch(ctx.config.stallTimeoutMs, item, () => { if (pid) void stopGroup(pid) })
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
      items_done: itemsDone, current_percent: item.percent, current_item: item.place, ...(item.of ? { item_count: Math.max(item.of, row.item_count) } : {}), speed_bps: p?.speed ?? null, eta_seconds: p?.eta === null || p?.eta === undefined ? null : Math.round(p.eta),
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
  stall.start()
  let result = await download({
    ytDlpPath: ctx.config.ytDlpPath, ffmpegPath: ctx.config.ffmpegPath, url: row.playlist_url, items: row.item_urls,
    home, temp, archive, signal: job.signal, template: ctx.config.fileTemplate, profileArgs: profileArgs(profile, ffmpeg.ok),
    onSpawn(p) {
      pid = p
      writing = writing.then(async () => { await ctx.db('youtube_downloads').where({ id: row.id }).update({ worker_pid: p }) })
    },
    onItem(started) {
      stall.touch()
      // Everything before this item is finished and in the archive by now.
      itemsDone = Math.max(itemsDone, archivedIds(archive).size - row.archive_start)
      item.start(started, itemsDone + 1)
      last = null
      flush()
      // The item's first progress line is written at once too, whatever the throttle says.
      lastPush = -Infinity
    },
    onProgress(p) {
      last = p
      stall.progress(p)
      item.advance(p)
      checkDisk()
      if (performance.now() - lastPush >= PUSH_EVERY_MS) flush()
    },
    onFile(file, made) {
      if (!isInside(lib, file)) return job.log.warn(`download ${row.id}: yt-dlp reported a file outside the library, ignored: ${file}`)
      files.add(file)
      stall.touch()
      assets = assets.then(async () => {
        // ffmpeg re-writes each file to embed metadata; on a disk that fills up meanwhile it can
        // leave a truncated file behind and still succeed. Such a file is not kept, nor archived.
        if (!(await readable(file, ffmpeg))) {
          damaged.set(file, made.id)
          files.delete(file)
          fs.rmSync(file, { force: true })
          return
        }
        const note = await thumbnailBeside(file, ffmpeg)
        if (note) notes.add(note)
        // Recorded once whole and with its thumbnail: retention never sees a file still being made.
        // A record that cannot be written leaves the file out of retention (kept), never the other way.
        await recordItem(ctx.db, { archiveKey: row.archive_key, downloadId: row.id, videoId: made.id, filePath: file, uploadDate: made.uploadDate })
          .catch((error: Error) => job.log.warn(`download ${row.id}: recording ${made.id} for retention failed: ${error.message}`))
      })
      item.finished()
      last = null
      flush()
    },
  }).catch((error: Error): DownloadResult => ({ code: null, signal: null, reason: error.message }))
    .finally(() => stall.stop())
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
    // Unreadable files on a disk that is (nearly) full: the disk is why, and admins are told.
    const free = await freeBytes(lib)
    if (free !== null && free < minFree) return fail(ctx, row, `The disk is full: files came out cut short. ${noSpace(free, minFree)}`, [...files], itemsDone, true)
    const names = [...damaged.keys()].map((f) => `“${f.split('/').pop()}”`).join(', ')
    result = { code: 1, signal: null, reason: `${names} came out unreadable after post-processing, so ${damaged.size === 1 ? 'it was' : 'they were'} removed to be downloaded again` }
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
  const reason = stall.reason ?? describeExit(result)
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
