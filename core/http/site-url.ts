// The address people use to reach MediaNest: publicUrl when it is set, because a
// reverse proxy may rewrite Host (Host: internal:3000) and the browser never saw that
// name. Without it, the request's own scheme and host as Express reads them: it takes
// X-Forwarded-Proto / X-Forwarded-Host only from the proxies `trustProxy` counts, so a
// direct caller cannot choose the answer with a header.
import type { Request } from 'express'

/** "https://media.example.com" (publicUrl without a trailing slash); null when the request names no usable host. */
export function siteUrl(req: Request, publicUrl: string | undefined): string | null {
  if (publicUrl) return publicUrl.replace(/\/+$/, '')
  const host = req.host
  if (!host) return null
  try {
    return new URL(`${req.protocol}://${host}`).origin
  } catch {
    return null
  }
}

/**
 * Whether an Origin header names this site: scheme, host and port all equal. A header
 * that is not exactly a serialized origin (a path, "null", garbage) never matches.
 */
export function isSiteOrigin(origin: string, req: Request, publicUrl: string | undefined): boolean {
  const site = siteUrl(req, publicUrl)
  if (!site) return false
  let sent: string
  try {
    sent = new URL(origin).origin
  } catch {
    return false
  }
  return sent !== 'null' && sent === origin && sent === new URL(site).origin
}
