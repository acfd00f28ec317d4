// Who is asking: a session cookie (browsers) or a personal API token (scripts,
// `Authorization: Bearer`). Suspended users lose every session at their next request.
import type { Knex } from 'knex'
import type { RequestHandler } from 'express'
import { Unauthorized } from '../plugin-api.ts'
import { markSessionEnded, setViewer, requestLog } from '../http/request-context.ts'
import { clearCookie, sessionCookieName, type CookiePolicy } from './cookies.ts'
import { findSession, revokeOtherSessions, type SessionPolicy } from './sessions.ts'
import { findApiToken } from './api-tokens.ts'
import { findUserById, toViewer } from './users.ts'
import { clock } from '../clock.ts'
import { REFRESH_EVERY_MS, type SessionRow } from './sessions.ts'
import type { SessionCache } from './session-cache.ts'

/** A cached session may serve a request until it expires or its sliding refresh is due. */
function stillFresh(session: SessionRow, now: Date): boolean {
  return session.expires > now && session.absolute_expires > now
    && now.getTime() - session.last_used_at.getTime() < REFRESH_EVERY_MS
}

export function authenticate(options: { db: Knex; policy: SessionPolicy; cookies: CookiePolicy; cache: SessionCache }): RequestHandler {
  const { db, policy, cookies, cache } = options
  const cookieName = sessionCookieName(cookies)
  return async (req, res, next) => {
    const authorization = req.get('Authorization')
    if (authorization?.startsWith('Bearer ')) {
      const token = await findApiToken(db, authorization.slice(7).trim())
      const user = token && (await findUserById(db, token.user_id))
      if (!token || !user || user.status !== 'active') {
        throw new Unauthorized('The API token is not valid, has expired or was revoked.')
      }
      setViewer(req, toViewer(user, null), token.id)
      return next()
    }
    const raw = req.cookies?.[cookieName] as string | undefined
    if (!raw) return next()
    // Keyed by the cookie itself (in memory only): no hash on the hot path.
    const hit = cache.get(raw, performance.now())
    if (hit && hit.user.status === 'active' && stillFresh(hit.session, clock.now())) {
      setViewer(req, toViewer(hit.user, hit.session.id))
      return next()
    }
    const cachedAt = performance.now()
    const session = await findSession(db, raw, policy)
    const user = session && (await findUserById(db, session.user_id))
    if (session && user?.status === 'active') cache.set(raw, { session, user, cachedAt })
    if (!session || !user) {
      clearCookie(res, cookieName, cookies)
      markSessionEnded(req)
      return next()
    }
    if (user.status !== 'active') {
      await revokeOtherSessions(db, user.id, null)
      clearCookie(res, cookieName, cookies)
      requestLog(req).info(`suspended user ${user.id} was signed out`)
      markSessionEnded(req)
      return next()
    }
    setViewer(req, toViewer(user, session.id))
    next()
  }
}

