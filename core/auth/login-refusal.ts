// A sign-in method that refuses someone (no access, an expired PIN, plex.tv down) sends
// them back to /login and the reason shows there, once, beside the other ways in. The
// text travels in a signed cookie: only the server can put words on the sign-in page.
import type { Request, Response } from 'express'
import { clearSignedCookie, readSignedCookie, setSignedCookie, type SignedCookies } from './signed-cookie.ts'
import { sendTo } from './start-session.ts'
import { safeNext } from './next-target.ts'

const NAME = 'mn_login_refusal'
const LIFETIME_MS = 60_000
export const MAX_REFUSAL_LENGTH = 500

/** Back to /login (303, or HX-Redirect for htmx), where `message` shows once. */
export function refuseToLogin(req: Request, res: Response, c: SignedCookies, message: string, next?: unknown): void {
  const text = message.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/ {2,}/g, ' ').trim().slice(0, MAX_REFUSAL_LENGTH)
  setSignedCookie(res, c, NAME, text || 'Sign-in was refused.', LIFETIME_MS)
  res.setHeader('Cache-Control', 'no-store')
  const target = safeNext(next)
  sendTo(req, res, target === '/' ? '/login' : `/login?next=${encodeURIComponent(target)}`)
}

/** The refusal left for this page (and clears it), or null. */
export function takeLoginRefusal(req: Request, res: Response, c: SignedCookies): string | null {
  const text = readSignedCookie(req, c, NAME)
  if (req.cookies?.[NAME] !== undefined) clearSignedCookie(res, c, NAME)
  return text
}
