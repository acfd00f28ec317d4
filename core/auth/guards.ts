// Route guards. A missing viewer sends browsers to the sign-in page (htmx gets a
// redirect header); everything else gets a 401/403 through the error handler.
import type { Request, RequestHandler } from 'express'
import { Forbidden, Unauthorized } from '../plugin-api.ts'
import { viewerOf } from '../http/request-context.ts'

function wantsPage(req: Request): boolean {
  return req.method === 'GET' && req.accepts(['html', 'json']) === 'html' && !req.get('Authorization')
}

/** The page htmx was on, from a header the client writes: anything unreadable is the home page. */
function currentPath(req: Request): string {
  const sent = req.get('HX-Current-URL')
  if (!sent) return '/'
  try {
    return new URL(sent).pathname
  } catch {
    return '/'
  }
}

export const requireUser: RequestHandler = (req, res, next) => {
  if (viewerOf(req)) return next()
  if (req.get('HX-Request') === 'true') {
    res.setHeader('HX-Redirect', `/login?next=${encodeURIComponent(currentPath(req))}`)
    return next(new Unauthorized())
  }
  if (wantsPage(req)) return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`)
  next(new Unauthorized())
}

/**
 * Admins only; and admin changes need a browser session. An admin's API token may read
 * admin pages, but a leaked one must not create admins, issue reset links for the owner
 * or point services elsewhere. Every admin route passes here (the core's /admin and the
 * routes plugins mount there or guard with ctx.http.requireAdmin), so they all inherit it.
 */
export const requireAdmin: RequestHandler = (req, res, next) => {
  const viewer = viewerOf(req)
  if (!viewer) return requireUser(req, res, next)
  if (viewer.role !== 'ADMIN') return next(new Forbidden('This area is for admins only.'))
  if (!viewer.sessionId && req.method !== 'GET' && req.method !== 'HEAD') {
    return next(new Forbidden('Admin changes need a browser session; API tokens can only read.'))
  }
  next()
}
