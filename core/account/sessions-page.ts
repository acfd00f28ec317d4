// /account/sessions: where the person is signed in, with a way to end any one
// session or all the others. Every query is scoped to the viewer: another person's
// session id is simply "not found".
import express, { type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import { NotFound } from '../plugin-api.ts'
import { requestLog, readerZone, viewerOf } from '../http/request-context.ts'
import { wantsFragment } from '../views.ts'
import { audit } from '../auth/audit.ts'
import { clearCookie, sessionCookieName } from '../auth/cookies.ts'
import { listSessions, revokeOtherSessions, revokeSession } from '../auth/sessions.ts'
import { displayTime } from './display-time.ts'
import { setFlash, takeFlash } from '../http/flash.ts'
import type { AccountDeps } from './deps.ts'

const sessionId = z.guid()

/** What a redirect may ask the page to say: a fixed set, never text from the URL. */
const NOTICES = {
  revoked: 'That session was signed out.',
  others: 'All your other sessions were signed out.',
} as const
type Notice = keyof typeof NOTICES

export function sessionsPageRoutes(deps: AccountDeps): Router {
  const { db, views } = deps
  const router = express.Router()

  const render = async (req: Request, res: Response, notice: string | null) => {
    const viewer = viewerOf(req)!
    const zone = readerZone(req, deps.siteTimeZone)
    const sessions = (await listSessions(db, viewer.id)).map((s) => ({
      id: s.id,
      current: s.id === viewer.sessionId,
      createdAt: displayTime(s.created_at, zone),
      lastUsedAt: displayTime(s.last_used_at, zone),
      expiresAt: displayTime(s.expires, zone),
      userAgent: s.user_agent ?? '',
      ip: s.ip ?? '',
    }))
    await views.pageOrFragment(req, res, {
      page: 'account/sessions', fragment: 'account/_sessions', title: 'Your sessions',
      data: { sessions, notice, others: sessions.filter((s) => !s.current).length },
    })
  }

  const done = async (req: Request, res: Response, notice: Notice) => {
    if (wantsFragment(req)) return render(req, res, NOTICES[notice])
    setFlash(res, deps.cookies, 'account:sessions', notice)
    res.redirect(303, '/account/sessions')
  }

  router.get('/sessions', async (req, res) => {
    await render(req, res, takeFlash(req, res, deps.cookies, 'account:sessions', NOTICES))
  })

  router.post('/sessions/revoke-others', async (req, res) => {
    const viewer = viewerOf(req)!
    const count = await revokeOtherSessions(db, viewer.id, viewer.sessionId)
    audit(requestLog(req), 'other sessions revoked', { user: viewer.id, count })
    await done(req, res, 'others')
  })

  router.post('/sessions/:id/revoke', async (req, res) => {
    const viewer = viewerOf(req)!
    const id = String(req.params.id)
    const missing = () => new NotFound('That session does not exist or has already ended.')
    if (!sessionId.safeParse(id).success) throw missing()
    if (!(await revokeSession(db, viewer.id, id))) throw missing()
    audit(requestLog(req), 'session revoked', { user: viewer.id, session: id, own: id === viewer.sessionId })
    if (id === viewer.sessionId) {
      // Ending the session you are using is signing out.
      clearCookie(res, sessionCookieName(deps.cookies), deps.cookies)
      if (req.get('HX-Request') === 'true') {
        res.setHeader('HX-Redirect', '/login')
        return res.status(204).end()
      }
      return res.redirect(303, '/login')
    }
    await done(req, res, 'revoked')
  })

  return router
}
