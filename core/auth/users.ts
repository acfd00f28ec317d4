// The brief's `users`: row type, lookups, and the Viewer a request carries.
import type { Knex } from 'knex'
import type { Role, Viewer } from '../plugin-api.ts'

export interface UserRow {
  id: string
  plex_id: string | null
  plex_username: string | null
  email: string
  name: string | null
  role: Role
  plex_token: string | null
  image: string | null
  requires_password_change: boolean
  created_at: Date
  last_login_at: Date | null
  status: 'active' | 'suspended'
  password_hash: string | null
  email_verified: boolean
  time_zone: string | null
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase()

export function toViewer(user: UserRow, sessionId: string | null): Viewer {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    image: user.image,
    requiresPasswordChange: user.requires_password_change,
    timeZone: user.time_zone ?? null,
    sessionId,
  }
}

export async function findUserById(db: Knex, id: string): Promise<UserRow | undefined> {
  return db<UserRow>('users').where({ id }).first()
}

export async function findUserByEmail(db: Knex, email: string): Promise<UserRow | undefined> {
  return db<UserRow>('users').where({ email: normalizeEmail(email) }).first()
}

/** False on a fresh install: nobody has an account yet. */
export async function anyUserExists(db: Knex): Promise<boolean> {
  return Boolean(await db('users').first('id'))
}

export async function adminExists(db: Knex): Promise<boolean> {
  return Boolean(await db('users').where({ role: 'ADMIN' }).first('id'))
}
