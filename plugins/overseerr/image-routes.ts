// GET /overseerr/images/:size/:file — a TMDB poster or backdrop from our own origin, so
// no page points a browser at a third-party host (privacy, and households whose filters
// block TMDB). Only for signed-in people: an open relay would let anyone fill our disk.
// - the host is the configured one (default https://image.tmdb.org); the request names
//   only a size from a short list and a file name (imageKey), never a URL or a path;
// - fetched once (single-flight per image, at most IMAGE_FETCHES at a time), then served
//   from the disk cache with immutable headers: TMDB never changes an image in place;
// - a failure answers our own placeholder with the error status (a browser shows an
//   image body whatever the status), remembered for a minute so a broken image does
//   not cost TMDB a call per page view.
import PQueue from 'p-queue'
import { fetchImage, ImageFailure, type FetchedImage, type Request, type Response } from 'medianest/plugin-api'
import type { OverseerrContext } from './plugin-config.ts'
import { ImageCache, imageKey, type CachedImage } from './image-cache.ts'

const IMAGE_FETCHES = 6
const FAILURE_MEMORY_MS = 60_000
const FAILURE_MEMORY_ENTRIES = 1_000

/** A grey card with a film-frame outline: what a missing poster shows, from our own bytes. */
const PLACEHOLDER = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 300"><rect width="200" height="300" fill="#8a8f98" fill-opacity=".25"/>' +
  '<rect x="70" y="115" width="60" height="70" rx="6" fill="none" stroke="#8a8f98" stroke-width="6"/></svg>')

const IMMUTABLE = 'private, max-age=31536000, immutable'

export function imageRoutes(ctx: OverseerrContext) {
  const router = ctx.http.router()
  const { host, cacheMB, maxImageKB } = ctx.config.images
  const cache = new ImageCache(`${ctx.dataDir}/images`, cacheMB * 1024 * 1024, ctx.log, ctx.clock.now)
  const fetches = new PQueue({ concurrency: IMAGE_FETCHES })
  const inFlight = new Map<string, Promise<FetchedImage | 'missing'>>()
  const failed = new Map<string, { until: number; status: number }>()

  // Plain setHeader: express's res.set() looks types up and copies; this is the hot path of every poster.
  const answer = (res: Response, status: number, type: string, bytes: Buffer, cacheControl: string) => {
    res.statusCode = status
    res.setHeader('Content-Type', type)
    res.setHeader('Content-Length', bytes.length)
    res.setHeader('Cache-Control', cacheControl)
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Content-Security-Policy', "default-src 'none'")
    res.end(bytes)
  }
  const placeholder = (res: Response, status: number) => answer(res, status, 'image/svg+xml', PLACEHOLDER, 'no-store')
  const send = (res: Response, image: CachedImage) => answer(res, 200, image.contentType, image.bytes, IMMUTABLE)

  /** One fetch per image at a time, however many pages ask for it at once. */
  const fetchOnce = (key: string): Promise<FetchedImage | 'missing'> => {
    let pending = inFlight.get(key)
    if (!pending) {
      pending = fetches.add(async () => {
        const fetched = await fetchImage(`${host}/t/p/${key}`, { maxBytes: maxImageKB * 1024, timeoutMs: ctx.config.timeoutMs })
        // A full or read-only disk costs the cache, not the image.
        if (fetched !== 'missing') await cache.put(key, fetched).catch((error: Error) => ctx.log.warn(`image ${key} could not be stored: ${error.message}`))
        return fetched
      }).finally(() => inFlight.delete(key))
      inFlight.set(key, pending)
    }
    return pending
  }

  const remember = (key: string, status: number) => {
    failed.delete(key)
    failed.set(key, { until: performance.now() + FAILURE_MEMORY_MS, status })
    if (failed.size > FAILURE_MEMORY_ENTRIES) failed.delete(failed.keys().next().value!)
  }

  router.get('/images/:size/:file', async (req: Request, res: Response) => {
    const key = imageKey(String(req.params.size), String(req.params.file))
    if (!key) return placeholder(res, 404)
    const hit = await cache.get(key)
    if (hit) return send(res, hit)
    const recent = failed.get(key)
    if (recent && recent.until > performance.now()) return placeholder(res, recent.status)
    let fetched: FetchedImage | 'missing'
    try {
      fetched = await fetchOnce(key)
    } catch (error) {
      if (!(error instanceof ImageFailure)) throw error
      ctx.log.warn(`image ${key} could not be fetched: ${error.message}`)
      remember(key, 502)
      return placeholder(res, 502)
    }
    if (fetched === 'missing') {
      remember(key, 404)
      return placeholder(res, 404)
    }
    send(res, fetched)
  })
  return router
}
