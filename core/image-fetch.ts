// fetchImage (plugin API 1.8): one bounded read of an image from an upstream host, for
// plugins that relay images to browsers (Plex posters, TMDB posters). Image proxies are
// where apps like ours get broken (SECURITY.md), so it refuses what a proxy must not pass:
// anything but a raster image type (SVG can carry script), a body over the cap (counted
// while reading: a missing or lying Content-Length does not help), redirects (the
// caller chose the host; a redirect would choose another), and a host that does not
// answer in time. The body is read by the upstream client's own capped reader; a plugin
// that needs bytes with a service's headers and breaker asks ctx.upstream for
// responseType 'bytes' (1.13) and checks the type itself.
import { readCapped } from './http/capped-body.ts'

/** The raster types relayed; SVG is never one of them. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif'])

export interface FetchImageOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number
  timeoutMs: number
  headers?: Record<string, string>
  signal?: AbortSignal
  /** How the URL is named in failures (default: the URL without its query): keep tokens out of logs. */
  label?: string
}

export interface FetchedImage { bytes: Buffer; contentType: string }

/** Why an image could not be relayed: for the log, never for the browser. */
export class ImageFailure extends Error {
  override readonly name = 'ImageFailure'
}

/** The image, 'missing' when the host answers 404, or an ImageFailure. */
export async function fetchImage(url: string, options: FetchImageOptions): Promise<FetchedImage | 'missing'> {
  const label = options.label ?? url.split('?')[0]
  let response: Response
  try {
    response = await fetch(url, {
      headers: { Accept: 'image/*', ...options.headers },
      redirect: 'manual',
      signal: options.signal ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.signal]) : AbortSignal.timeout(options.timeoutMs),
    })
  } catch (error) {
    const why = (error as Error).name === 'TimeoutError' ? `not within ${options.timeoutMs} ms` : (error as Error).message
    throw new ImageFailure(`no answer for ${label} (${why})`)
  }
  const discard = () => response.body?.cancel().catch(() => undefined)
  if (response.status === 404) { await discard(); return 'missing' }
  if (response.status !== 200) { await discard(); throw new ImageFailure(`HTTP ${response.status} for ${label}`) }
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
  if (!IMAGE_TYPES.has(contentType)) { await discard(); throw new ImageFailure(`not an image (${contentType.slice(0, 60) || 'no type'}) for ${label}`) }
  const bytes = await readCapped(response, options.maxBytes, (why, brokenOff) =>
    new ImageFailure(brokenOff ? `broken off while reading ${label}: ${why}` : `${why} for ${label}`))
  if (!bytes.length) throw new ImageFailure(`an empty body for ${label}`)
  return { bytes, contentType }
}
