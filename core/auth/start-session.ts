// What every way of signing in does once someone is vouched for (the password form,
// or a plugin through ctx.identity): a new session (never the old one: no fixation),
// the cookie, last_login_at, and the answer that sends the browser on.
import type { Request, Response } from 'express'
import type { Knex } from 'knex'
import { clock } from '../clock.ts'
import { viewerOf } from '../http/request-context.ts'
import { cookieOptions, sessionCookieName, type CookiePolicy } from './cookies.ts'
import { createSession, type SessionPolicy } from './sessions.ts'
import type { UserRow } from './users.ts'
import type { SignedCookies } from './signed-cookie.ts'

export interface SessionDeps {
  db: Knex
  cookies: CookiePolicy
  sessionPolicy: SessionPolicy
  /** Signed short-lived cookies: a refusal shown on /login, a setup grant. */
  signed: SignedCookies
}

export async function startSession(deps: SessionDeps, req: Request, res: Response, user: UserRow, method = 'password'): Promise<void> {
  // Signing in over a live session (another account, or the same one again) rotates it.
  const previous = viewerOf(req)?.sessionId
  if (previous) await deps.db('sessions').where({ id: previous }).del()
  const { token } = await createSession(deps.db, user.id, deps.sessionPolicy, { userAgent: req.get('User-Agent'), ip: req.ip, method })
  await deps.db('users').where({ id: user.id }).update({ last_login_at: clock.now() })
  res.cookie(sessionCookieName(deps.cookies), token, cookieOptions(deps.cookies, deps.sessionPolicy.absoluteMs))
}

/** A full-page move after a form: htmx follows HX-Redirect, a plain form the 303. */
export function sendTo(req: Request, res: Response, target: string): void {
  if (req.get('HX-Request') === 'true') {
    res.setHeader('HX-Redirect', target)
    res.status(204).end()
    return
  }
  res.redirect(303, target)
}
