// A loopback TMDB image host (`https://image.tmdb.org/t/p/<size>/<file>`) for tests of
// code that fetches posters and backdrops. It answers as the real CDN does, because a
// kinder fake hides bugs:
// - an image is 200 with `Content-Type: image/jpeg` (image/png for a .png file), a
//   Content-Length, `Cache-Control: public, max-age=31536000`, an ETag and Last-Modified;
//   `If-None-Match` with that ETag is 304, HEAD answers the headers alone.
// - a path it does not hold is 404 with a small HTML page, not JSON and not an image.
// - only GET and HEAD are served; anything else is 405.
// Tests add images by path and make single paths fail the ways a proxy or CDN can:
// too large and streamed without a length (a client must cap while reading), the wrong
// content type, never answering, or an error status. `requests` records what was asked.
import http from 'node:http'
import crypto from 'node:crypto'
import { listenOnLoopback, stopAtOnce, type RecordedRequest } from './fake-server.ts'

export type { RecordedRequest }

export interface FakeImageHost {
  /** The origin, e.g. `http://127.0.0.1:40123`: a poster is `${url}/t/p/w300/abc.jpg`. */
  url: string
  requests: RecordedRequest[]
  close(): Promise<void>
  /** Serves an image at this path (`/t/p/w300/abc.jpg`); default: a tiny valid JPEG (PNG for `.png`). */
  addImage(path: string, bytes?: Buffer, contentType?: string): void
  /** Streams this many bytes of image/jpeg with no Content-Length. */
  huge(path: string, bytes: number): void
  /** Answers 200 with this content type and a body to match (an HTML page for text/html). */
  wrongType(path: string, contentType: string): void
  /** Accepts the request and never answers (close() still ends it). */
  slow(path: string): void
  /** Answers this status with the CDN's HTML error page. */
  status(path: string, code: number): void
}

// A 2x2 baseline JPEG and a 1x1 PNG (one blue-grey pixel each), valid for any decoder.
const TINY_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEAA0JCgsKCA0LCgsODg0PEyAVExISEyccHhcgLikxMC4pLSwzOko+MzZGNywtQFdBRkxOUlNSMj5aYVpQYEpRUk8BDg4OExETJhUVJk81LTVPT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT09PT//AABEIAAIAAgMBEQACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/AMmvTPOP/9k=',
  'base64',
)
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGMwTpsJAAICATNWh+JUAAAAAElFTkSuQmCC', 'base64')

const CHUNK = 64 * 1024

type Behaviour =
  | { kind: 'image'; bytes: Buffer; contentType: string; etag: string; lastModified: string }
  | { kind: 'huge'; bytes: number }
  | { kind: 'wrong-type'; contentType: string }
  | { kind: 'slow' }
  | { kind: 'status'; code: number }

/** The page nginx-style CDNs answer errors with. */
function errorPage(code: number): string {
  const title = `${code} ${http.STATUS_CODES[code] ?? ''}`.trim()
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>openresty</center>\r\n</body>\r\n</html>\r\n`
}

function wrongBody(contentType: string): string {
  if (contentType.includes('html')) return '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><p>Checking your browser.</p></body></html>'
  if (contentType.includes('json')) return '{"status_code":34,"status_message":"The resource you requested could not be found."}'
  return 'This is not an image.'
}

export async function startFakeImageHost(): Promise<FakeImageHost> {
  const requests: RecordedRequest[] = []
  const paths = new Map<string, Behaviour>()
  const timers = new Set<NodeJS.Timeout>()

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = req.url ?? '/'
      const parsed = new URL(url, 'http://fake.invalid')
      const method = req.method ?? 'GET'
      requests.push({ method, path: parsed.pathname, query: Object.fromEntries(parsed.searchParams), url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })

      const html = (code: number, extra: Record<string, string> = {}) => {
        const page = errorPage(code)
        res.writeHead(code, { 'Content-Type': 'text/html', 'Content-Length': String(Buffer.byteLength(page)), ...extra }).end(method === 'HEAD' ? undefined : page)
      }
      if (method !== 'GET' && method !== 'HEAD') return html(405, { Allow: 'GET, HEAD' })
      const behaviour = paths.get(parsed.pathname)
      if (!behaviour) return html(404)

      switch (behaviour.kind) {
        case 'slow':
          return // close() cuts it
        case 'status':
          return html(behaviour.code)
        case 'wrong-type': {
          const body = wrongBody(behaviour.contentType)
          res.writeHead(200, { 'Content-Type': behaviour.contentType, 'Content-Length': String(Buffer.byteLength(body)) }).end(method === 'HEAD' ? undefined : body)
          return
        }
        case 'huge':
          return streamHuge(res, behaviour.bytes, method === 'HEAD')
        case 'image': {
          const headers = {
            'Content-Type': behaviour.contentType, 'Cache-Control': 'public, max-age=31536000', ETag: behaviour.etag,
            'Last-Modified': behaviour.lastModified, 'Accept-Ranges': 'bytes', 'Access-Control-Allow-Origin': '*',
          }
          if (req.headers['if-none-match'] === behaviour.etag) return void res.writeHead(304, headers).end()
          res.writeHead(200, { ...headers, 'Content-Length': String(behaviour.bytes.length) }).end(method === 'HEAD' ? undefined : behaviour.bytes)
        }
      }
    })
  })

  // Starts like a JPEG, then filler, written as the client reads (backpressure), so a
  // client that stops reading or disconnects stops the stream too.
  function streamHuge(res: http.ServerResponse, total: number, headOnly: boolean): void {
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Cache-Control': 'public, max-age=31536000' })
    if (headOnly) return void res.end()
    let sent = 0
    const write = () => {
      while (sent < total && !res.destroyed) {
        const size = Math.min(CHUNK, total - sent)
        const chunk = Buffer.alloc(size)
        if (sent === 0) TINY_JPEG.copy(chunk, 0, 0, Math.min(size, 20))
        sent += size
        if (!res.write(chunk)) return void res.once('drain', write)
      }
      if (!res.destroyed) res.end()
    }
    write()
  }

  const port = await listenOnLoopback(server)
  const checkPath = (path: string) => {
    if (!path.startsWith('/t/p/')) throw new Error(`fake image host: '${path}' is not an image path; TMDB's look like /t/p/w300/abc.jpg`)
  }

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => stopAtOnce(server, timers),
    addImage(path, bytes, contentType) {
      checkPath(path)
      const png = path.toLowerCase().endsWith('.png')
      const body = bytes ?? (png ? TINY_PNG : TINY_JPEG)
      paths.set(path, {
        kind: 'image', bytes: body, contentType: contentType ?? (png ? 'image/png' : 'image/jpeg'),
        etag: `"${crypto.createHash('md5').update(body).digest('hex')}"`, lastModified: new Date().toUTCString(),
      })
    },
    huge(path, bytes) { checkPath(path); paths.set(path, { kind: 'huge', bytes }) },
    wrongType(path, contentType) { checkPath(path); paths.set(path, { kind: 'wrong-type', contentType }) },
    slow(path) { checkPath(path); paths.set(path, { kind: 'slow' }) },
    status(path, code) { checkPath(path); paths.set(path, { kind: 'status', code }) },
  }
}
