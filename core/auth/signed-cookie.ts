// Short-lived cookies whose value the server vouches for: an HMAC over the name, the
// expiry and the value, with a key derived for this purpose alone. A browser can drop
// one, never forge or stretch one. For a refusal to show on /login (text a visitor must
// not be able to plant there) and for the grant that a setup code opens.
import crypto from 'node:crypto'
import type { Request, Response } from 'express'
import { clock } from '../clock.ts'
import { cookieOptions, type CookiePolicy } from './cookies.ts'
import { safeEqual } from './tokens.ts'

export interface SignedCookies { policy: CookiePolicy; key: Buffer }

const mac = (key: Buffer, name: string, expires: number, value: string) =>
  crypto.createHmac('sha256', key).update(`${name}\0${expires}\0${value}`).digest('base64url')

export function setSignedCookie(res: Response, c: SignedCookies, name: string, value: string, maxAgeMs: number): void {
  const expires = clock.now().getTime() + maxAgeMs
  const encoded = Buffer.from(value, 'utf8').toString('base64url')
  res.cookie(name, `${expires}.${encoded}.${mac(c.key, name, expires, encoded)}`, cookieOptions(c.policy, maxAgeMs))
}

/** The value, when the cookie is present, untouched and not expired; else null. */
export function readSignedCookie(req: Request, c: SignedCookies, name: string): string | null {
  const raw = req.cookies?.[name]
  if (typeof raw !== 'string' || raw.length > 4096) return null
  const [expiresText, encoded, given, extra] = raw.split('.')
  if (extra !== undefined || !expiresText || encoded === undefined || !given) return null
  const expires = Number(expiresText)
  if (!Number.isSafeInteger(expires) || expires <= clock.now().getTime()) return null
  if (!safeEqual(given, mac(c.key, name, expires, encoded))) return null
  return Buffer.from(encoded, 'base64url').toString('utf8')
}

export function clearSignedCookie(res: Response, c: SignedCookies, name: string): void {
  res.clearCookie(name, cookieOptions(c.policy))
}
