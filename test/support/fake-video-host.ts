// A loopback "video site" that Debian's yt-dlp reads offline with its generic extractor
// (CONTRACTS.md "yt-dlp"): small clips made once with ffmpeg's testsrc, served as direct
// media URLs with Range support (so `--continue` resumes), and playlists as HTML pages
// with several <video src> tags that a test can grow. Downloads are throttled by gates a
// test controls, never by sleeping: a gated clip is sent up to a byte offset, then the
// response waits (parked) until the test opens the gate, so "mid-download" is a state the
// test can wait for and hold as long as it likes.
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { listenOnLoopback, stopAtOnce } from './fake-server.ts'

export interface VideoRequest { path: string; range: string | null; start: number }
export interface Parked { path: string; start: number }
export interface ChannelVideo { clip: string; title?: string; date?: string; membersOnly?: boolean }
/** Videos per listing page (YouTube's channel pages hold 30). */
export const CHANNEL_PAGE = 30

export interface FakeVideoHost {
  url: string
  /** Every media request, in order (Range header and where it started). */
  requests: VideoRequest[]
  /** A clip's bytes, as served. */
  clip(name: string): Buffer
  /** The address of a playlist page (created empty if new). */
  playlistUrl(name: string): string
  /**
   * Sets a playlist's <title> and its clips (names made with ffmpeg on first use). Its page
   * carries a picture (og:image) and, for each clip, a poster and an English subtitle track,
   * as yt-dlp's generic extractor reads them; `brokenPictures` serves those pictures as bytes
   * that are not an image (labelled image/png).
   */
  setPlaylist(name: string, title: string, clips: string[], options?: { brokenPictures?: boolean }): void
  addToPlaylist(name: string, clip: string): void
  /**
   * A channel (its /@handle/videos address): listed newest first, CHANNEL_PAGE videos to a
   * page, as JSON that the test-only yt-dlp extractor in test/support/yt-dlp-plugins reads
   * page by page as yt-dlp asks (YouTube's continuations). Each video has YouTube's metadata
   * (date, uploader, description), a picture and a subtitle track; `membersOnly` videos answer
   * 403 with YouTube's words. `videos` are clip names, newest first.
   */
  setChannel(handle: string, name: string, videos: Array<string | ChannelVideo>): string
  /** A new upload at the top of a channel. */
  upload(handle: string, video: string | ChannelVideo): void
  /** How many listing pages of a channel were asked for. */
  channelPages(handle: string): number
  /** The address of one clip (a single video). */
  clipUrl(name: string): string
  /** Sends `clip` only up to `atByte`, then parks each response until open(). */
  gate(clip: string, atByte: number): void
  /** Resolves when a response for `clip` is parked (optionally one that started past `minStart`). */
  waitParked(clip: string, minStart?: number, timeoutMs?: number): Promise<Parked>
  /** Holds every playlist page until releasePages() (or open()): many metadata reads end at once. */
  holdPages(): void
  /** How many playlist pages are held now. */
  heldPages(): number
  releasePages(): void
  /** Removes one clip's gate and lets its parked responses finish. */
  openClip(clip: string): void
  /** Removes every gate and lets parked responses (and held pages) finish. */
  open(): void
  close(): Promise<void>
}

const CLIP_DIR = path.join(os.tmpdir(), 'medianest-test-clips-v1')

/** The hash of each stream's packets: the same for a clip and a copy of it that ffmpeg re-wrapped with metadata (-c copy). */
export function streamHashes(file: string): string {
  const run = spawnSync('ffmpeg', ['-loglevel', 'error', '-i', file, '-map', '0', '-c', 'copy', '-f', 'streamhash', '-hash', 'sha256', '-'], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`ffmpeg could not read ${file}: ${run.stderr}`)
  return run.stdout.trim()
}

/** True when `file` holds exactly the clip's audio and video (its container may carry added metadata). */
export function holdsClip(file: string, clip: string): boolean {
  makeClip(clip)
  return streamHashes(file) === streamHashes(path.join(CLIP_DIR, `${clip}.mp4`))
}

/** A 96×54 PNG whose pattern depends on the name (cached on disk). */
export function makePicture(name: string): Buffer {
  const file = path.join(CLIP_DIR, `${name}.png`)
  if (!fs.existsSync(file)) {
    fs.mkdirSync(CLIP_DIR, { recursive: true })
    const hue = parseInt(crypto.createHash('sha1').update(name).digest('hex').slice(0, 2), 16)
    const tmp = `${file}.${process.pid}.tmp.png`
    const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=96x54:rate=1,hue=h=${hue}`, '-frames:v', '1', tmp], { encoding: 'utf8' })
    if (made.status !== 0) throw new Error(`ffmpeg could not make the test picture ${name}: ${made.stderr}`)
    fs.renameSync(tmp, file)
  }
  return fs.readFileSync(file)
}

/** A 2-second 64×48 clip with a tone; the same name always gives the same bytes (cached on disk). */
export function makeClip(name: string): Buffer {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`clip names are [a-z0-9-]: ${name}`)
  const file = path.join(CLIP_DIR, `${name}.mp4`)
  if (!fs.existsSync(file)) {
    fs.mkdirSync(CLIP_DIR, { recursive: true })
    const freq = 200 + (parseInt(crypto.createHash('sha1').update(name).digest('hex').slice(0, 4), 16) % 800)
    const tmp = `${file}.${process.pid}.tmp.mp4`
    const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=64x48:rate=10',
      '-f', 'lavfi', '-i', `sine=frequency=${freq}:duration=2`, '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-b:a', '16k',
      '-metadata', `title=${name}`, '-shortest', tmp], { encoding: 'utf8' })
    if (made.status !== 0) throw new Error(`ffmpeg could not make the test clip ${name}: ${made.stderr}`)
    fs.renameSync(tmp, file)
  }
  return fs.readFileSync(file)
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export async function startFakeVideoHost(): Promise<FakeVideoHost> {
  const playlists = new Map<string, { title: string; clips: string[] }>()
  const brokenPictures = new Set<string>()
  const gates = new Map<string, number>()
  const parked: Array<{ info: Parked; resume: () => void }> = []
  const waiters = new Set<() => void>()
  const requests: VideoRequest[] = []
  const timers = new Set<NodeJS.Timeout>()
  let holdingPages = false
  const heldPages: Array<() => void> = []
  const releasePages = () => {
    holdingPages = false
    for (const send of heldPages.splice(0)) send()
  }

  const channels = new Map<string, { name: string; videos: ChannelVideo[]; pages: number }>()
  const videoOf = (id: string) => {
    for (const [handle, c] of channels) {
      const v = c.videos.find((x) => x.clip === id)
      if (v) return { handle, channel: c, video: v }
    }
    return null
  }
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(body))
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid')
    const origin = `http://${req.headers.host}`
    const listing = /^\/@([a-z0-9-]+)\/videos\.json$/.exec(url.pathname)
    if (listing) {
      const c = channels.get(listing[1])
      if (!c) return json(res, 404, { error: 'This channel does not exist.' })
      c.pages++
      const page = Math.max(1, Number(url.searchParams.get('page')) || 1)
      const slice = c.videos.slice((page - 1) * CHANNEL_PAGE, page * CHANNEL_PAGE)
      return json(res, 200, {
        name: c.name, avatar: `${origin}/pictures/avatar-${listing[1]}.png`,
        videos: slice.map((v) => ({ id: v.clip, title: v.title ?? v.clip })), more: page * CHANNEL_PAGE < c.videos.length,
      })
    }
    const watch = /^\/watch\/([a-z0-9-]+)\.json$/.exec(url.pathname)
    if (watch) {
      const found = videoOf(watch[1])
      if (!found) return json(res, 404, { error: 'Video unavailable' })
      const { video: v, channel: c } = found
      if (v.membersOnly) return json(res, 403, { error: 'Join this channel to get access to members-only content like this video, and other exclusive perks.' })
      return json(res, 200, {
        id: v.clip, title: v.title ?? v.clip, description: `About ${v.title ?? v.clip}.`, uploader: c.name, channel: c.name,
        upload_date: (v.date ?? '2026-01-01').replace(/-/g, ''), thumbnail: `${origin}/pictures/${v.clip}.png`,
        media: `${origin}/media/${v.clip}.mp4`, subtitles: `${origin}/subtitles/${v.clip}.vtt`,
      })
    }
    const list = /^\/lists\/([a-z0-9-]+)\.html$/.exec(url.pathname)
    if (list && playlists.has(list[1])) {
      const p = playlists.get(list[1])!
      // Pictures by absolute address, as YouTube gives them (i.ytimg.com).
      const body = `<!DOCTYPE html><html><head><title>${escape(p.title)}</title><meta property="og:image" content="${origin}/pictures/list-${list[1]}.png"></head><body>\n${
        p.clips.map((c) => `<video src="/media/${c}.mp4" poster="${origin}/pictures/${c}.png"><track kind="subtitles" src="/subtitles/${c}.vtt" srclang="en" label="English"></video>`).join('\n')
      }\n</body></html>`
      const send = () => { if (!res.destroyed) { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }); res.end(body) } }
      if (!holdingPages) return send()
      heldPages.push(send)
      return
    }
    const picture = /^\/pictures\/([a-z0-9-]+)\.png$/.exec(url.pathname)
    if (picture) {
      res.writeHead(200, { 'Content-Type': 'image/png' })
      return res.end(brokenPictures.has(picture[1]) ? Buffer.from('these bytes are not a picture') : makePicture(picture[1]))
    }
    const subtitles = /^\/subtitles\/([a-z0-9-]+)\.vtt$/.exec(url.pathname)
    if (subtitles) {
      res.writeHead(200, { 'Content-Type': 'text/vtt; charset=utf-8' })
      return res.end(`WEBVTT\n\n00:00.000 --> 00:01.500\nSubtitle of ${subtitles[1]}\n`)
    }
    const media = /^\/media\/([a-z0-9-]+)\.mp4$/.exec(url.pathname)
    if (!media) {
      res.writeHead(404, { 'Content-Type': 'text/plain' })
      return res.end('not found')
    }
    const name = media[1]
    const bytes = makeClip(name)
    const range = req.headers.range ?? null
    const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null
    const start = m ? Number(m[1]) : 0
    const end = m && m[2] ? Math.min(Number(m[2]), bytes.length - 1) : bytes.length - 1
    requests.push({ path: url.pathname, range, start })
    if (start >= bytes.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` })
      return res.end()
    }
    const headers: Record<string, string | number> = { 'Content-Type': 'video/mp4', 'Accept-Ranges': 'bytes', 'Content-Length': end - start + 1 }
    if (m) headers['Content-Range'] = `bytes ${start}-${end}/${bytes.length}`
    res.writeHead(m ? 206 : 200, headers)
    if (req.method === 'HEAD') return res.end()
    const gateAt = gates.get(name)
    if (gateAt === undefined || end < gateAt) return res.end(bytes.subarray(start, end + 1))
    if (start < gateAt) res.write(bytes.subarray(start, gateAt))
    const from = Math.max(start, gateAt)
    const entry = { info: { path: url.pathname, start }, resume: () => { if (!res.destroyed) res.end(bytes.subarray(from, end + 1)) } }
    parked.push(entry)
    res.on('close', () => { const i = parked.indexOf(entry); if (i >= 0) parked.splice(i, 1) })
    for (const w of waiters) w()
  })
  const port = await listenOnLoopback(server)
  const base = `http://127.0.0.1:${port}`

  return {
    url: base,
    requests,
    clip: makeClip,
    playlistUrl: (name) => `${base}/lists/${name}.html`,
    clipUrl: (name) => { makeClip(name); return `${base}/media/${name}.mp4` },
    setPlaylist(name, title, clips, options = {}) {
      for (const c of clips) makeClip(c)
      playlists.set(name, { title, clips: [...clips] })
      for (const picture of [`list-${name}`, ...clips]) {
        if (options.brokenPictures) brokenPictures.add(picture)
        else brokenPictures.delete(picture)
      }
    },
    setChannel(handle, name, videos) {
      // Clips are made when first asked for: a 10,000-video listing costs no ffmpeg run.
      const list = videos.map((v) => (typeof v === 'string' ? { clip: v } : v))
      channels.set(handle, { name, videos: list, pages: 0 })
      return `${base}/@${handle}/videos`
    },
    upload(handle, video) {
      const v = typeof video === 'string' ? { clip: video } : video
      channels.get(handle)!.videos.unshift(v)
    },
    channelPages: (handle) => channels.get(handle)?.pages ?? 0,
    addToPlaylist(name, clip) {
      makeClip(clip)
      playlists.get(name)!.clips.push(clip)
    },
    gate(clip, atByte) { gates.set(clip, atByte) },
    holdPages() { holdingPages = true },
    heldPages: () => heldPages.length,
    releasePages,
    waitParked(clip, minStart = -1, timeoutMs = 60_000) {
      const find = () => parked.find((p) => p.info.path === `/media/${clip}.mp4` && p.info.start > minStart)?.info
      return new Promise((resolve, reject) => {
        const hit = find()
        if (hit) return resolve(hit)
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no request for ${clip} was parked within ${timeoutMs} ms`)) }, timeoutMs)
        timers.add(timer)
        const check = () => {
          const found = find()
          if (!found) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(found)
        }
        waiters.add(check)
      })
    },
    openClip(clip) {
      gates.delete(clip)
      for (const p of parked.filter((e) => e.info.path === `/media/${clip}.mp4`)) p.resume()
    },
    open() {
      gates.clear()
      for (const p of parked.splice(0)) p.resume()
      releasePages()
    },
    close: () => stopAtOnce(server, timers),
  }
}
