// Runs the real yt-dlp (CONTRACTS.md "yt-dlp"). Guarantees, each kept in one place:
// - arguments are an array, never a shell; every option is fixed here; the URL comes
//   last, after `--`, and has passed url-check.ts; `--ignore-config` always; never
//   `--exec`, `--netrc-cmd`, `--batch-file` or anything that runs or reads what a user chose;
// - each process starts detached in its own process group, and stopping it signals the
//   whole group (yt-dlp's ffmpeg included): SIGTERM, then SIGKILL after a grace period;
// - every run is bounded: metadata reads by a timeout, downloads by the job's signal.
import { spawn, type ChildProcess } from 'node:child_process'
import readline from 'node:readline'
import { z } from 'medianest/plugin-api'

const KILL_GRACE_MS = 5_000
const STDERR_LINES = 8
const MAX_METADATA_BYTES = 64 * 1024 * 1024

/** Every yt-dlp process this plugin started and has not seen exit: stopped at shutdown. */
const running = new Set<ChildProcess>()
// The last resort, when the process exits before stop() finished (its shutdown budget
// ran out): the groups run detached, so without this they would outlive it. A download
// killed here resumes from its .part file at the next start.
let exitGuard = false
function guardExit(): void {
  if (exitGuard) return
  exitGuard = true
  process.once('exit', () => {
    for (const child of running) if (child.pid) signalGroup(child.pid, 'SIGKILL')
  })
}

export class YtDlpError extends Error {}

/** Signals a process group; false when it is gone already. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Stops a process group cleanly: SIGINT first (yt-dlp then closes its .part file, flushing
 * what it received, so a retry continues from there; ffmpeg finalises), SIGTERM if that is
 * ignored, SIGKILL at the end of the grace period. Resolves when the group is gone.
 */
export async function stopGroup(pid: number, graceMs = KILL_GRACE_MS): Promise<void> {
  if (!signalGroup(pid, 'SIGINT')) return
  const wait = async (ms: number) => {
    // A process exits in real time, whatever a test does to the host's clock.
    const until = performance.now() + ms
    while (groupAlive(pid) && performance.now() < until) await new Promise((r) => setTimeout(r, 100))
  }
  await wait(graceMs * 0.6)
  if (groupAlive(pid)) signalGroup(pid, 'SIGTERM')
  await wait(graceMs * 0.4)
  if (!groupAlive(pid)) return
  signalGroup(pid, 'SIGKILL')
  // SIGKILL is delivered at once, but a process is torn down after: without this wait the
  // caller (shutdown) could exit while yt-dlp is still listed, and a restart race it.
  await wait(1_000)
}

/** Stops every yt-dlp process of this plugin (shutdown). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((c) => (c.pid ? stopGroup(c.pid, 2_000) : undefined)))
}

interface Spawned {
  child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stderrTail: () => string
  /** Errors yt-dlp named an item for ("ERROR: [youtube] <id>: <reason>"), by id, the last 50. */
  itemErrors: Map<string, string>
}
const ITEM_ERROR = /^ERROR: \[[^\]]+\] ([A-Za-z0-9_-]{1,64}): (.+)$/

function start(bin: string, args: string[], signal?: AbortSignal): Spawned {
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1', LC_ALL: 'C.UTF-8' } })
  running.add(child)
  guardExit()
  const tail: string[] = []
  const itemErrors = new Map<string, string>()
  readline.createInterface({ input: child.stderr! }).on('line', (line) => {
    const item = ITEM_ERROR.exec(line)
    if (item && (itemErrors.has(item[1]) || itemErrors.size < 50)) itemErrors.set(item[1], item[2].slice(0, 300))
    tail.push(line.slice(0, 500))
    if (tail.length > STDERR_LINES) tail.shift()
  })
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      running.delete(child)
      reject(error.code === 'ENOENT' ? new YtDlpError(`${bin} was not found: install yt-dlp or set ytDlpPath.`) : error)
    })
    child.once('close', (code, sig) => {
      running.delete(child)
      resolve({ code, signal: sig })
    })
  })
  if (signal) {
    const onAbort = () => { if (child.pid) void stopGroup(child.pid) }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    void done.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => undefined)
  }
  return { child, done, itemErrors, stderrTail: () => tail.filter((l) => !l.startsWith('WARNING:')).join('\n') || tail.join('\n') }
}

// ---------- version

export interface ToolVersion { ok: true; version: string; released: Date | null }
export type ToolCheck = ToolVersion | { ok: false; message: string }

/** `<bin> --version` (yt-dlp: "2023.03.04"); ffmpeg: the first line of `-version`. */
export async function probeVersion(bin: string, flag: '--version' | '-version', timeoutMs = 10_000): Promise<ToolCheck> {
  const timeout = AbortSignal.timeout(timeoutMs)
  try {
    const run = start(bin, [flag], timeout)
    let out = ''
    run.child.stdout!.on('data', (d: Buffer) => { if (out.length < 4096) out += d })
    const { code } = await run.done
    if (timeout.aborted) return { ok: false, message: `${bin} ${flag} did not answer within ${timeoutMs / 1000} s.` }
    if (code !== 0) return { ok: false, message: `${bin} ${flag} failed (exit ${code}): ${run.stderrTail() || 'no output'}` }
    const first = out.split('\n')[0].trim()
    const m = /(\d{4})\.(\d{2})\.(\d{2})/.exec(first)
    const version = flag === '--version' ? first : (/version (\S+)/.exec(first)?.[1] ?? first)
    return { ok: true, version, released: m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null }
  } catch (error) {
    return { ok: false, message: error instanceof YtDlpError ? error.message : `${bin} could not be run: ${(error as Error).message}` }
  }
}

// ---------- metadata

const entrySchema = z.object({ id: z.string().min(1), title: z.string().nullish(), url: z.string().nullish(), ie_key: z.string().nullish() })
const metadataSchema = z.object({
  _type: z.string().optional(),
  id: z.string().nullish(),
  title: z.string().nullish(),
  channel: z.string().nullish(),
  extractor_key: z.string().nullish(),
  entries: z.array(z.unknown()).nullish(),
  thumbnail: z.string().nullish(),
  thumbnails: z.array(z.object({ url: z.string(), id: z.string().nullish() }).loose()).nullish(),
})

/** One item of a listing: its id, title, own address (a channel's items are downloaded by it) and archive key. */
export interface ListedItem { id: string; title: string | null; url: string | null; archiveKey: string }

export interface PlaylistInfo {
  kind: 'playlist' | 'video'; id: string | null; title: string | null; entries: ListedItem[]
  /** A channel's name (yt-dlp titles its listing "<name> - Videos"). */
  channel: string | null
  /** The playlist's (or video's) own picture, a channel's avatar, an absolute http(s) address, or null. */
  thumbnail: string | null
}

/** yt-dlp lists thumbnails worst first; a page may give a relative one. Only http(s) is kept. */
function bestThumbnail(m: { thumbnail?: string | null; thumbnails?: Array<{ url: string; id?: string | null }> | null }, pageUrl: string): string | null {
  // A channel lists its banner as the largest picture; its avatar is what stands for it in Plex.
  const raw = m.thumbnails?.find((t) => t.id === 'avatar_uncropped')?.url ?? m.thumbnails?.at(-1)?.url ?? m.thumbnail
  if (!raw) return null
  try {
    const url = new URL(raw, pageUrl)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href.slice(0, 2048) : null
  } catch {
    return null
  }
}

/**
 * `--flat-playlist -J`: title and items without downloading, bounded in time. `items`
 * ("1:30") reads only those places: yt-dlp then asks YouTube for only the pages they are on.
 */
export async function readMetadata(bin: string, url: string, timeoutMs: number, items?: { from: number; to: number }): Promise<PlaylistInfo> {
  const timeout = AbortSignal.timeout(timeoutMs)
  const range = items ? ['-I', `${items.from}:${items.to}`] : []
  const run = start(bin, ['--ignore-config', '--no-colors', '--flat-playlist', ...range, '-J', '--', url], timeout)
  const chunks: Buffer[] = []
  let size = 0
  run.child.stdout!.on('data', (d: Buffer) => {
    size += d.length
    if (size <= MAX_METADATA_BYTES) chunks.push(d)
    else if (run.child.pid) void stopGroup(run.child.pid)
  })
  const { code } = await run.done
  if (timeout.aborted) throw new YtDlpError(`yt-dlp did not read the playlist within ${Math.round(timeoutMs / 1000)} s; try again later.`)
  if (size > MAX_METADATA_BYTES) throw new YtDlpError('The playlist description is too large to read.')
  if (code !== 0) throw new YtDlpError(`yt-dlp could not read that address (exit ${code}): ${lastLine(run.stderrTail())}`)
  let json: unknown
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new YtDlpError('yt-dlp answered something that is not a playlist description.')
  }
  const parsed = metadataSchema.safeParse(json)
  if (!parsed.success) throw new YtDlpError('yt-dlp answered something that is not a playlist description.')
  const m = parsed.data
  const common = { id: m.id ?? null, title: m.title ?? null, channel: m.channel ?? null, thumbnail: bestThumbnail(m, url) }
  // yt-dlp's archive lines are "<extractor key, lower case> <id>" (what "only new uploads" writes).
  const archiveKey = (ie: string | null | undefined, id: string) => `${(ie ?? m.extractor_key ?? 'generic').toLowerCase()} ${id}`
  if (m._type === 'playlist' || Array.isArray(m.entries)) {
    const entries = (m.entries ?? []).flatMap((e) => {
      const ok = entrySchema.safeParse(e)
      return ok.success ? [{ id: ok.data.id, title: ok.data.title ?? null, url: ok.data.url ?? null, archiveKey: archiveKey(ok.data.ie_key, ok.data.id) }] : []
    })
    return { kind: 'playlist', ...common, entries }
  }
  return { kind: 'video', ...common, entries: m.id ? [{ id: m.id, title: m.title ?? null, url, archiveKey: archiveKey(null, m.id) }] : [] }
}

const lastLine = (text: string) => (text.trim().split('\n').pop() ?? '').replace(/^ERROR:\s*/, '').slice(0, 300) || 'no reason given'

// ---------- download

export interface Progress {
  id: string
  status: string
  downloadedBytes: number | null
  totalBytes: number | null
  speed: number | null
  eta: number | null
}

const progressSchema = z.object({
  status: z.string(),
  downloaded_bytes: z.number().nullish(),
  total_bytes: z.number().nullish(),
  total_bytes_estimate: z.number().nullish(),
  speed: z.number().nullish(),
  eta: z.number().nullish(),
})

export interface DownloadRun {
  ytDlpPath: string
  ffmpegPath: string
  url: string
  /** Finished files go here. */
  home: string
  /** .part and intermediate files (a per-download folder, so a retry continues them). */
  temp: string
  archive: string
  /** A channel's new uploads, each by its own checked address; otherwise `url` is downloaded. */
  items: string[] | null
  /** Each file's name in `home` (a checked output template, profiles.ts). */
  template: string
  /** The quality profile's options (profileArgs). */
  profileArgs: string[]
  signal: AbortSignal
  onSpawn(pid: number): void
  onProgress(p: Progress): void
  onItem(item: ItemStart): void
  onFile(path: string, item: { id: string; uploadDate: string | null }): void
}

/** What yt-dlp is about to download (its before_dl line): the item's place and how many streams it fetches. */
export interface ItemStart { id: string; index: number | null; of: number | null; streams: number }

export interface DownloadResult {
  code: number | null; signal: NodeJS.Signals | null; reason: string
  /** Items that failed on their own (members-only, private, removed) while the rest went on (--ignore-errors). */
  itemErrors?: Map<string, string>
}

/** The tested command line from CONTRACTS.md, with a working folder for .part files. */
export function downloadArgs(run: Pick<DownloadRun, 'ffmpegPath' | 'url' | 'items' | 'home' | 'temp' | 'archive' | 'template' | 'profileArgs'>): string[] {
  const args = [
    '--ignore-config', '--newline', '--no-colors', '--progress',
    '--progress-template', 'download:MNPROG %(info.id)s %(progress)j',
    // Before each item: its place in the playlist and its format ("137+140": two streams, merged after).
    '--print', 'before_dl:MNITEM %(id)s %(playlist_index|)s %(n_entries|)s %(format_id|)s',
    // Each finished file with its item's id and upload date (retention keeps items, not names).
    '--print', 'after_move:MNFILE %(id)s %(upload_date|)s %(filepath)s',
    '-P', `home:${run.home}`, '-P', `temp:${run.temp}`,
    // Names keep their own script: yt-dlp replaces only what file systems refuse (/ \\ : * ? " < > |).
    '-o', run.template,
    // The thumbnail lands beside the file with its name (Plex's local assets); the job makes it a .jpg.
    // (Not the playlist's: the job makes the folder's poster.jpg itself, checked and converted.)
    '--write-thumbnail', '--no-write-playlist-metafiles',
    ...run.profileArgs,
    '--no-overwrites', '--continue', '--ignore-errors',
    '--download-archive', run.archive,
  ]
  if (run.ffmpegPath.includes('/')) args.push('--ffmpeg-location', run.ffmpegPath)
  return [...args, '--', ...(run.items?.length ? run.items : [run.url])]
}

export async function download(run: DownloadRun): Promise<DownloadResult> {
  const spawned = start(run.ytDlpPath, downloadArgs(run), run.signal)
  if (spawned.child.pid) run.onSpawn(spawned.child.pid)
  readline.createInterface({ input: spawned.child.stdout! }).on('line', (line) => {
    const file = /^MNFILE (\S+) (\d{8}|\S*) (.+)$/.exec(line)
    if (file) return run.onFile(file[3], { id: file[1], uploadDate: /^\d{8}$/.test(file[2]) ? `${file[2].slice(0, 4)}-${file[2].slice(4, 6)}-${file[2].slice(6)}` : null })
    const item = /^MNITEM (\S+) (\d*) (\d*) ?(\S*)$/.exec(line)
    if (item) {
      return run.onItem({
        id: item[1], index: item[2] ? Number(item[2]) : null, of: item[3] ? Number(item[3]) : null,
        streams: Math.max(1, (item[4] ?? '').split('+').filter(Boolean).length),
      })
    }
    const m = /^MNPROG (\S+) (\{.*\})$/.exec(line)
    if (!m) return
    try {
      const p = progressSchema.parse(JSON.parse(m[2]))
      run.onProgress({
        id: m[1], status: p.status, downloadedBytes: p.downloaded_bytes ?? null,
        totalBytes: p.total_bytes ?? p.total_bytes_estimate ?? null, speed: p.speed ?? null, eta: p.eta ?? null,
      })
    } catch { /* a progress line we cannot read is not worth failing a download for */ }
  })
  const { code, signal } = await spawned.done
  return { code, signal, reason: spawned.stderrTail(), itemErrors: spawned.itemErrors }
}
