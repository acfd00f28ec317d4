// What Plex's local media assets read beside the files: each video's thumbnail as
// `<same name>.jpg`, and the playlist's own picture as `poster.jpg` in its folder. A
// picture that cannot be made never fails the download: the row gets a note saying which.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fetchImage } from 'medianest/plugin-api'
import { isPrivateHost } from './url-check.ts'

const CONVERT_TIMEOUT_MS = 30_000
const POSTER_MAX_BYTES = 5 * 1024 * 1024
/** What yt-dlp writes as a thumbnail (--write-thumbnail keeps the host's format). */
const PICTURE_EXTS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif']
/** Subtitle files yt-dlp leaves beside a file (`<name>.<lang>.<ext>`) when they are not embedded. */
const SUBTITLE_EXTS = ['.vtt', '.srt', '.ass', '.ttml', '.srv3', '.json3']

const stem = (file: string) => file.slice(0, file.length - path.extname(file).length)

/** One picture into a JPEG with ffmpeg (its first frame for an animated one); rejects with ffmpeg's reason. */
function toJpeg(ffmpegPath: string, from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-y', '-i', from, '-frames:v', '1', '-q:v', '3', to],
      { timeout: CONVERT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return resolve()
        fs.rmSync(to, { force: true })
        const why = String(stderr).trim().split('\n').pop()?.slice(0, 200) || error.message.slice(0, 200)
        reject(new Error(why))
      })
  })
}

/**
 * Whether ffprobe can read the file's streams. Without ffmpeg nothing re-wrote the file and
 * there is nothing to ask: it counts as readable (so does a missing ffprobe).
 */
export function readable(file: string, ffmpeg: { path: string; ok: boolean }): Promise<boolean> {
  if (!ffmpeg.ok) return Promise.resolve(true)
  const ffprobe = ffmpeg.path.includes('/') ? path.join(path.dirname(ffmpeg.path), 'ffprobe') : 'ffprobe'
  return new Promise((resolve) => {
    execFile(ffprobe, ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', file],
      { timeout: CONVERT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 },
      (error, stdout) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return resolve(true)
        resolve(!error && String(stdout).trim().length > 0)
      })
  })
}

/**
 * After a file is moved into the library: its thumbnail as `<name>.jpg` beside it.
 * Returns a note when there is none (the host had none, or it did not convert).
 */
export async function thumbnailBeside(mediaFile: string, ffmpeg: { path: string; ok: boolean }): Promise<string | null> {
  const base = stem(mediaFile)
  const jpg = `${base}.jpg`
  const found = PICTURE_EXTS.map((ext) => base + ext).find((f) => fs.existsSync(f))
  const name = path.basename(mediaFile)
  if (!found) return `no thumbnail for “${name}” (the host offered none)`
  if (found === jpg) return null
  if (!ffmpeg.ok) return `the thumbnail of “${name}” stays ${path.extname(found)} (ffmpeg is missing), which Plex does not read`
  try {
    await toJpeg(ffmpeg.path, found, jpg)
    fs.rmSync(found, { force: true })
    return null
  } catch (error) {
    return `the thumbnail of “${name}” could not be converted (${(error as Error).message})`
  }
}

/**
 * The folder's poster.jpg from the playlist's own picture, once (an existing one is kept:
 * an admin may have put a better one there). Returns a note when it could not be made.
 */
export async function posterFor(folder: string, pictureUrl: string | null, options: { ffmpeg: { path: string; ok: boolean }; allowedHosts: string[]; signal: AbortSignal }): Promise<string | null> {
  const poster = path.join(folder, 'poster.jpg')
  if (!pictureUrl || fs.existsSync(poster)) return null
  const url = new URL(pictureUrl)
  const host = url.host.toLowerCase()
  if (isPrivateHost(url.hostname) && !options.allowedHosts.includes(host) && !options.allowedHosts.includes(url.hostname)) {
    return 'no poster for the folder (its picture is on a private address)'
  }
  try {
    const image = await fetchImage(url.href, { maxBytes: POSTER_MAX_BYTES, timeoutMs: 20_000, signal: options.signal })
    if (image === 'missing') return 'no poster for the folder (its picture is gone: 404)'
    if (image.contentType === 'image/jpeg') {
      fs.writeFileSync(`${poster}.tmp`, image.bytes)
      fs.renameSync(`${poster}.tmp`, poster)
      return null
    }
    if (!options.ffmpeg.ok) return 'no poster for the folder (its picture is not a JPEG and ffmpeg is missing)'
    const original = path.join(folder, `.poster-original${image.contentType === 'image/png' ? '.png' : '.img'}`)
    fs.writeFileSync(original, image.bytes)
    try {
      await toJpeg(options.ffmpeg.path, original, poster)
    } finally {
      fs.rmSync(original, { force: true })
    }
    return null
  } catch (error) {
    return `no poster for the folder (${(error as Error).message})`
  }
}

/** The files a download left beside one of its media files: its thumbnail and subtitles, named after it. */
export function sidecarsOf(mediaFile: string): string[] {
  const base = stem(mediaFile)
  const dir = path.dirname(mediaFile)
  const prefix = `${path.basename(base)}.`
  let names: string[] = []
  try { names = fs.readdirSync(dir) } catch { return [] }
  return names
    .filter((n) => n.startsWith(prefix) && n !== path.basename(mediaFile))
    .filter((n) => {
      const ext = path.extname(n).toLowerCase()
      return PICTURE_EXTS.includes(ext) || SUBTITLE_EXTS.includes(ext)
    })
    .map((n) => path.join(dir, n))
}
