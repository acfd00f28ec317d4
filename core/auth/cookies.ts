// Cookie names and attributes in one place: `__Host-` and Secure when served over https.
import type { CookieOptions, Response } from 'express'

export interface CookiePolicy { secure: boolean }

export const sessionCookieName = (p: CookiePolicy) => (p.secure ? '__Host-mn_session' : 'mn_session')
export const anonCookieName = (p: CookiePolicy) => (p.secure ? '__Host-mn_anon' : 'mn_anon')

export function cookieOptions(p: CookiePolicy, maxAgeMs?: number): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: p.secure, path: '/', ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) }
}

export function clearCookie(res: Response, name: string, p: CookiePolicy): void {
  res.clearCookie(name, cookieOptions(p))
}
