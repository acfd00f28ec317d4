// CSRF: a synchronizer token bound to the session (or, before sign-in, to an
// anonymous cookie), sent by forms as `_csrf` and by htmx as X-CSRF-Token (from
// <body hx-headers:inherited>), plus a Sec-Fetch-Site / Origin check. No CORS at all.
import crypto from 'node:crypto'
import type { Request, RequestHandler, Response } from 'express'
import { Forbidden } from '../plugin-api.ts'
import { anonCookieName, cookieOptions, type CookiePolicy } from '../auth/cookies.ts'
import { randomToken, safeEqual } from '../auth/tokens.ts'
import { viewerOf } from './request-context.ts'
import { isSiteOrigin } from './site-url.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const ANON_COOKIE_MAX_AGE_MS = 24 * 3600 * 1000

export interface Csrf {
  /** The token for this request's pages and forms (sets the anonymous cookie if needed). */
  token(req: Request, res: Response): string
  /** The token of the request's session or anonymous cookie, without minting a cookie: '' when it has neither. */
  existingToken(req: Request): string
  verify: RequestHandler
}

export function createCsrf(options: { key: Buffer; cookies: CookiePolicy; publicUrl?: string }): Csrf {
  const anonName = anonCookieName(options.cookies)
  // Every page carries the token of its session: an HMAC each time was ~1.5 % of a page.
  // Bounded, and emptied when full (a binding's token never changes, so nothing goes stale).
  const signed = new Map<string, string>()
  const sign = (binding: string) => {
    let token = signed.get(binding)
    if (token === undefined) {
      token = crypto.createHmac('sha256', options.key).update(binding).digest('base64url')
      if (signed.size >= 10_000) signed.clear()
      signed.set(binding, token)
    }
    return token
  }
  const anonValues = new WeakMap<Request, string>()
  // Someone who opened MediaNest at another address (a LAN IP, the proxy's inner name) sees where to go.
  const wrongAddress = 'This request came from another site and was refused.'
    + (options.publicUrl ? ` MediaNest's address is ${options.publicUrl}: open it there and try again.` : '')

  const binding = (req: Request): string | null => {
    const sessionId = viewerOf(req)?.sessionId
    if (sessionId) return `session:${sessionId}`
    const anon = anonValues.get(req) ?? (req.cookies?.[anonName] as string | undefined)
    return anon ? `anon:${anon}` : null
  }

  return {
    token(req, res) {
      let bound = binding(req)
      if (!bound) {
        const value = randomToken(18)
        anonValues.set(req, value)
        res.cookie(anonName, value, cookieOptions(options.cookies, ANON_COOKIE_MAX_AGE_MS))
        bound = `anon:${value}`
      }
      return sign(bound)
    },
    existingToken(req) {
      const bound = binding(req)
      return bound ? sign(bound) : ''
    },
    verify(req, _res, next) {
      if (SAFE_METHODS.has(req.method)) return next()
      // API-token requests carry no cookies, so a forged cross-site request cannot make one.
      if (req.get('Authorization')?.startsWith('Bearer ') && viewerOf(req) && !viewerOf(req)!.sessionId) return next()
      const site = req.get('Sec-Fetch-Site')
      if (site && site !== 'same-origin' && site !== 'none') {
        return next(new Forbidden('This request came from another site and was refused.'))
      }
      // Scheme too: an http:// page (a network attacker's) must not post to the https:// site.
      const origin = req.get('Origin')
      if (origin !== undefined && !isSiteOrigin(origin, req, options.publicUrl)) {
        return next(new Forbidden(wrongAddress))
      }
      const sent = req.get('X-CSRF-Token') ?? (req.body as Record<string, unknown> | undefined)?._csrf
      const bound = binding(req)
      if (typeof sent !== 'string' || !bound || !safeEqual(sent, sign(bound))) {
        return next(new Forbidden('The form has expired or did not come from this site. Reload the page and try again.'))
      }
      next()
    },
  }
}
