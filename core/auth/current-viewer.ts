// What a long-lived connection's viewer is now. A request is authenticated once, but an
// open /events stream lasts for hours: this re-reads the credential it opened with
// (its session, or its API token) and the user, with the same rules authenticate uses.
import type { Knex } from 'knex'
import type { Viewer } from '../plugin-api.ts'
import { clock } from '../clock.ts'
import { findUserById, toViewer } from './users.ts'

/**
 * The viewer as they are now, or null when the session or token is gone or expired,
 * the account is suspended or deleted, or it must change its password first (the
 * password-change gate would refuse it everything else).
 */
export async function currentViewer(db: Knex, viewer: Viewer, apiTokenId: string | null): Promise<Viewer | null> {
  const now = clock.now()
  if (viewer.sessionId) {
    const session = await db('sessions').where({ id: viewer.sessionId, user_id: viewer.id })
      .andWhere('expires', '>', now).andWhere('absolute_expires', '>', now).first('id')
    if (!session) return null
  } else if (apiTokenId) {
    const token = await db('session_tokens').where({ id: apiTokenId, user_id: viewer.id })
      .andWhere('expires_at', '>', now).first('id')
    if (!token) return null
  } else {
    return null
  }
  const user = await findUserById(db, viewer.id)
  if (!user || user.status !== 'active' || user.requires_password_change) return null
  return toViewer(user, viewer.sessionId)
}
