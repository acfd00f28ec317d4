// One-shot notices after a redirect ("Service deleted."): a short-lived cookie that holds
// a key, never text, read once by the page it is meant for and cleared there. A notice in
// the URL (?done=deleted) came back on every reload and every Back; this one shows once,
// with JavaScript or without.
import type { Request, Response } from 'express'
import { cookieOptions, type CookiePolicy } from '../auth/cookies.ts'

const FLASH_MAX_AGE_MS = 60_000

export const flashCookieName = (p: CookiePolicy) => (p.secure ? '__Host-mn_flash' : 'mn_flash')

/** Leaves `<page>:<key>` for the next page to read once. */
export function setFlash(res: Response, policy: CookiePolicy, page: string, key: string): void {
  res.cookie(flashCookieName(policy), `${page}:${key}`, cookieOptions(policy, FLASH_MAX_AGE_MS))
}

/** The key left for this page (and clears it), or null. */
export function takeFlashKey(req: Request, res: Response, policy: CookiePolicy, page: string): string | null {
  const value = req.cookies?.[flashCookieName(policy)] as string | undefined
  if (typeof value !== 'string' || !value.startsWith(`${page}:`)) return null
  res.clearCookie(flashCookieName(policy), cookieOptions(policy))
  return value.slice(page.length + 1)
}

/** The notice left for this page (and clears it), or null. Keys outside `notices` read as none. */
export function takeFlash(req: Request, res: Response, policy: CookiePolicy, page: string, notices: Readonly<Record<string, string>>): string | null {
  const key = takeFlashKey(req, res, policy, page)
  return key !== null && Object.hasOwn(notices, key) ? notices[key] : null
}
