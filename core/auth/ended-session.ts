// A browser whose session ended elsewhere (all other sessions signed out, this one
// revoked, the account suspended) still sends its cookie and a CSRF token bound to the
// dead session. Its next change is not a forgery to refuse with "the form has expired":
// it is a person to send back to the sign-in page, told why. Runs after authenticate
// and before the CSRF check, which stays fully enforced for live sessions and for
// anonymous forms: the only request let past it without a token is signing out when
// there is no live session to protect.
import type { Request, RequestHandler, Response } from 'express'
import { sessionEnded, viewerOf } from '../http/request-context.ts'
import { setFlash } from '../http/flash.ts'
import { clearCookie, sessionCookieName, type CookiePolicy } from './cookies.ts'
import { safeNext } from './next-target.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
/** Forms for people without a session: an old cookie beside them is simply ignored. */
const ANONYMOUS_FORMS = /^\/(login|setup|reset\/)/
export const ENDED_NOTICE = 'ended'

/** The page the person was on (htmx says; a plain form has its Referer), if it is ours. */
function returnPath(req: Request): string {
  const from = req.get('HX-Current-URL') ?? req.get('Referer')
  if (!from) return '/'
  try {
    const url = new URL(from)
    if (url.host !== req.get('Host')) return '/'
    const path = safeNext(url.pathname + url.search)
    return path.startsWith('/login') || path.startsWith('/logout') ? '/' : path
  } catch {
    return '/'
  }
}

function toSignIn(req: Request, res: Response, target: string): void {
  if (req.get('HX-Request') === 'true') {
    res.setHeader('HX-Redirect', target)
    res.status(204).end()
    return
  }
  res.redirect(303, target)
}

export function endedSessionGate(cookies: CookiePolicy): RequestHandler {
  return (req, res, next) => {
    if (viewerOf(req)) return next()
    const changes = !SAFE_METHODS.has(req.method)
    if (changes && req.path === '/logout') {
      clearCookie(res, sessionCookieName(cookies), cookies)
      return toSignIn(req, res, '/login')
    }
    if (!sessionEnded(req) || (changes && ANONYMOUS_FORMS.test(req.path))) return next()
    setFlash(res, cookies, 'login', ENDED_NOTICE)
    // A page: a public one shows as usual, a private one sends to sign-in (requireUser).
    if (!changes) return next()
    toSignIn(req, res, `/login?next=${encodeURIComponent(returnPath(req))}`)
  }
}
