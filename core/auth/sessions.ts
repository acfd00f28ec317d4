// Browser sessions (the brief's `sessions`): a 256-bit token in an HttpOnly cookie,
// only its SHA-256 in the row. Sliding idle expiry, refreshed at most once a minute,
// capped by an absolute lifetime. Logout deletes the row, so the cookie is dead everywhere.
import type { Knex } from 'knex'
import { clock } from '../clock.ts'
import { hashToken, randomToken } from './tokens.ts'

export interface SessionRow {
  id: string
  session_token: string
  user_id: string
  expires: Date
  absolute_expires: Date
  created_at: Date
  last_used_at: Date
  user_agent: string | null
  ip: string | null
  /** 'password', or the provider a plugin signed the person in with ('plex'). */
  sign_in_method: string
}

export interface SessionPolicy { idleMs: number; absoluteMs: number }

export const REFRESH_EVERY_MS = 60_000

export async function createSession(
  db: Knex, userId: string, policy: SessionPolicy, client: { userAgent?: string; ip?: string; method?: string },
): Promise<{ token: string; session: SessionRow }> {
  const token = randomToken()
  const now = clock.now()
  const absolute = new Date(now.getTime() + policy.absoluteMs)
  const [session] = await db<SessionRow>('sessions').insert({
    session_token: hashToken(token),
    user_id: userId,
    expires: new Date(Math.min(now.getTime() + policy.idleMs, absolute.getTime())),
    absolute_expires: absolute,
    created_at: now,
    last_used_at: now,
    user_agent: client.userAgent?.slice(0, 512) ?? null,
    ip: client.ip?.slice(0, 64) ?? null,
    sign_in_method: client.method ?? 'password',
  }).returning('*')
  return { token, session }
}

/** The live session for a cookie token, slid forward if it is due; null when unknown or expired. */
export async function findSession(db: Knex, token: string, policy: SessionPolicy): Promise<SessionRow | null> {
  const session = await db<SessionRow>('sessions').where({ session_token: hashToken(token) }).first()
  if (!session) return null
  const now = clock.now()
  if (session.expires <= now || session.absolute_expires <= now) {
    await db('sessions').where({ id: session.id }).del()
    return null
  }
  if (now.getTime() - session.last_used_at.getTime() >= REFRESH_EVERY_MS) {
    const expires = new Date(Math.min(now.getTime() + policy.idleMs, session.absolute_expires.getTime()))
    await db('sessions').where({ id: session.id }).update({ last_used_at: now, expires })
    return { ...session, last_used_at: now, expires }
  }
  return session
}

export async function listSessions(db: Knex, userId: string): Promise<SessionRow[]> {
  return db<SessionRow>('sessions').where({ user_id: userId }).andWhere('expires', '>', clock.now())
    .orderBy('last_used_at', 'desc')
}

/** Deletes one of the user's sessions; false when it is not theirs (or gone). */
export async function revokeSession(db: Knex, userId: string, sessionId: string): Promise<boolean> {
  return (await db('sessions').where({ id: sessionId, user_id: userId }).del()) > 0
}

export async function revokeOtherSessions(db: Knex, userId: string, keepSessionId: string | null): Promise<number> {
  const q = db('sessions').where({ user_id: userId })
  if (keepSessionId) q.whereNot({ id: keepSessionId })
  return q.del()
}

export async function deleteExpiredSessions(db: Knex): Promise<number> {
  const now = clock.now()
  return db('sessions').where('expires', '<=', now).orWhere('absolute_expires', '<=', now).del()
}
