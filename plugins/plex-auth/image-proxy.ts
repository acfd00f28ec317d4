// GET /plex-auth/images/:ratingKey — a poster from the owner's Plex server, for signed-in
// people. Image proxies are where this kind of app gets broken (SECURITY.md), so:
// - it takes an item id (digits), never a URL or a path: the poster's path is looked up
//   on the server and must be a library path, or the answer is 404;
// - it fetches only from the configured plex service, with the token in the
//   X-Plex-Token header; the token never reaches the browser, a URL or a log;
// - only image types (no SVG: it can carry script), at most 2 MB, no redirects followed;
// - a failure upstream is a bare 502: no address, status or message for the browser.
// The read is the Plex client's (poster(): ctx.upstream with responseType 'bytes', so it
// shares the server's token header, timeout, cap and breaker, and follows no redirect).
import { NotFound, type FetchedImage, type PluginContext, type Router, type ServiceConfigRecord } from 'medianest/plugin-api'
import { PlexNotSetUp } from './api.ts'
import type { PlexServerClient } from './plex-server-client.ts'

export interface ImageProxyOptions {
  maxBytes?: number
  timeoutMs?: number
  cacheEntries?: number
  cacheMs?: number
}

interface CachedImage { bytes: Buffer; contentType: string; expires: number }

const DIGITS = /^\d{1,12}$/
/** Bounds the cache's memory as well as its entry count. */
const CACHE_MAX_TOTAL_BYTES = 32 * 1024 * 1024

/** A small LRU: insertion order of a Map, refreshed on each hit; entries live ttlMs of real time. */
class ImageCache {
  private readonly entries = new Map<string, CachedImage>()
  private total = 0
  constructor(private readonly maxEntries: number, private readonly ttlMs: number) {}

  get(key: string): CachedImage | undefined {
    const hit = this.entries.get(key)
    if (!hit) return undefined
    this.drop(key)
    if (hit.expires <= performance.now()) return undefined
    this.entries.set(key, hit)
    this.total += hit.bytes.length
    return hit
  }

  set(key: string, bytes: Buffer, contentType: string): void {
    this.drop(key)
    this.entries.set(key, { bytes, contentType, expires: performance.now() + this.ttlMs })
    this.total += bytes.length
    while (this.entries.size > this.maxEntries || this.total > CACHE_MAX_TOTAL_BYTES) this.drop(this.entries.keys().next().value!)
  }

  private drop(key: string): void {
    const old = this.entries.get(key)
    if (!old) return
    this.entries.delete(key)
    this.total -= old.bytes.length
  }
}

export function imageProxyRoutes(ctx: Pick<PluginContext, 'http' | 'log'>, server: PlexServerClient, options: ImageProxyOptions = {}): Router {
  const maxBytes = options.maxBytes ?? 2 * 1024 * 1024
  const timeoutMs = options.timeoutMs ?? 8_000
  const cache = new ImageCache(options.cacheEntries ?? 200, options.cacheMs ?? 5 * 60_000)
  const router = ctx.http.router()
  const notFound = () => new NotFound('There is no such poster.')

  router.get('/images/:ratingKey', ctx.http.requireUser, async (req, res) => {
    const ratingKey = String(req.params.ratingKey)
    if (!DIGITS.test(ratingKey)) throw notFound()
    let service: ServiceConfigRecord
    try {
      service = await server.service()
    } catch (error) {
      if (error instanceof PlexNotSetUp) throw notFound()
      throw error
    }
    // Keyed by the server too: a poster from the old server is not served after a move.
    const cacheKey = `${service.serviceUrl}\n${ratingKey}`
    let image = cache.get(cacheKey)
    if (!image) {
      const aborted = new AbortController()
      res.on('close', () => aborted.abort())
      let fetched: FetchedImage | null
      try {
        fetched = await server.poster(ratingKey, { maxBytes, timeoutMs, signal: aborted.signal })
      } catch (error) {
        ctx.log.warn(`poster of item ${ratingKey} could not be relayed: ${(error as Error).message}`)
        if (res.headersSent || aborted.signal.aborted) return
        res.status(502).set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }).type('text/plain').send('The poster could not be loaded from Plex.')
        return
      }
      if (!fetched) throw notFound()
      cache.set(cacheKey, fetched.bytes, fetched.contentType)
      image = { ...fetched, expires: 0 }
    }
    res.status(200).set({
      'Content-Type': image.contentType,
      'Content-Length': String(image.bytes.length),
      'Cache-Control': 'private, max-age=300',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'",
    }).end(image.bytes)
  })
  return router
}
