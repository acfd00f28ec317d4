// What an admin does to accounts: list and search, create local users, change a
// role, suspend and reactivate. The rules that keep the portal administrable (nobody
// demotes or suspends themselves, the last active admin stays) hold inside one
// transaction that locks the admin rows, so two admins acting at once cannot race
// past them.
import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { Conflict, NotFound, type Role } from '../plugin-api.ts'
import { hashPassword } from '../auth/passwords.ts'
import { normalizeEmail, type UserRow } from '../auth/users.ts'
import { containsPattern } from './like-pattern.ts'
import { userCreated, userDeleted, userUpdated, type Emit } from '../lifecycle-events.ts'
import { cursorColumn, keysetPage, type KeysetRow, type Page, type PageRequest } from './keyset-pages.ts'

export type UserStatus = UserRow['status']

/** A user as the admin pages show it: never a hash or a Plex token. */
export interface AdminUserView {
  id: string
  email: string
  name: string | null
  role: Role
  status: UserStatus
  plex_username: string | null
  requires_password_change: boolean
  has_password: boolean
  last_login_at: Date | null
  created_at: Date
}

const COLUMNS = ['id', 'email', 'name', 'role', 'status', 'plex_username', 'requires_password_change', 'last_login_at', 'created_at'] as const
const KEYSET = { createdAt: 'users.created_at', id: 'users.id' }

function selectUsers(db: Knex): Knex.QueryBuilder {
  return db('users').select(COLUMNS.map((c) => `users.${c}`)).select(db.raw('(users.password_hash is not null) as has_password'))
}

export async function searchUsers(db: Knex, query: { q: string } & PageRequest): Promise<Page<AdminUserView & KeysetRow>> {
  const filtered = () => {
    const q = selectUsers(db).select(cursorColumn(db, KEYSET))
    if (query.q) {
      const pattern = containsPattern(query.q)
      q.where((w) => w.where('users.email', 'ilike', pattern).orWhere('users.name', 'ilike', pattern))
    }
    return q
  }
  return keysetPage(filtered, KEYSET, query)
}

export async function findAdminUserView(db: Knex, id: string): Promise<AdminUserView | undefined> {
  return selectUsers(db).where('users.id', id).first()
}

export function temporaryPassword(): string {
  // 96 bits, 16 URL-safe characters: above both length minimums, typed once.
  return crypto.randomBytes(12).toString('base64url')
}

const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === '23505'

/** A local user who must choose a new password at first sign-in. Conflict when the email is taken. */
export async function createLocalUser(
  db: Knex, emit: Emit, actorId: string, input: { email: string; name: string | null; role: Role },
): Promise<{ user: AdminUserView; temporaryPassword: string }> {
  const password = temporaryPassword()
  const passwordHash = await hashPassword(password)
  try {
    return await db.transaction(async (trx) => {
      const [row] = await trx<UserRow>('users').insert({
        email: normalizeEmail(input.email),
        name: input.name,
        role: input.role,
        password_hash: passwordHash,
        requires_password_change: true,
        status: 'active',
      }).returning('id')
      const user = (await findAdminUserView(trx, (row as { id: string }).id))!
      await userCreated(emit, trx, user, 'admin', actorId)
      return { user, temporaryPassword: password }
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict('That email is already in use by another account.')
    throw error
  }
}

export interface AccountChange {
  /** False when the user already had that role or status. */
  changed: boolean
  sessionsEnded: number
}

type Change = { role: Role } | { status: UserStatus }

async function applyChange(db: Knex, emit: Emit, actorId: string, userId: string, change: Change): Promise<AccountChange> {
  return db.transaction(async (trx) => {
    const activeAdmins: Array<{ id: string }> = await trx('users').where({ role: 'ADMIN', status: 'active' })
      .orderBy('id').forUpdate().select('id')
    const user: Pick<UserRow, 'id' | 'email' | 'role' | 'status'> | undefined = await trx('users').where({ id: userId })
      .forUpdate().first('id', 'email', 'role', 'status')
    if (!user) throw new NotFound('There is no such user.')
    const next = { role: user.role, status: user.status, ...change }
    if (next.role === user.role && next.status === user.status) return { changed: false, sessionsEnded: 0 }

    const losesAdmin = user.role === 'ADMIN' && user.status === 'active' && (next.role !== 'ADMIN' || next.status !== 'active')
    if (losesAdmin && user.id === actorId) {
      throw new Conflict('role' in change
        ? 'You cannot remove your own admin role. Ask another admin to do it.'
        : 'You cannot suspend your own account. Ask another admin to do it.')
    }
    if (losesAdmin && !activeAdmins.some((a) => a.id !== user.id)) {
      throw new Conflict('This is the last active admin. Make another user an admin first, so someone can still manage MediaNest.')
    }
    await trx('users').where({ id: user.id }).update(change)
    // A suspension or a lost role takes effect now, not when a cookie expires.
    const endsSessions = next.status === 'suspended' || (user.role === 'ADMIN' && next.role === 'USER')
    const sessionsEnded = endsSessions ? Number(await trx('sessions').where({ user_id: user.id }).del()) : 0
    await userUpdated(emit, trx, { ...user, ...next }, 'role' in change ? ['role'] : ['status'], actorId)
    return { changed: true, sessionsEnded }
  })
}

export function changeRole(db: Knex, emit: Emit, actorId: string, userId: string, role: Role): Promise<AccountChange> {
  return applyChange(db, emit, actorId, userId, { role })
}

export function changeStatus(db: Knex, emit: Emit, actorId: string, userId: string, status: UserStatus): Promise<AccountChange> {
  return applyChange(db, emit, actorId, userId, { status })
}

/**
 * Deletes an account for good: its sessions, tokens and linked accounts go with it (the
 * foreign keys cascade), and 'core.user.deleted' lets each plugin delete or anonymise
 * its own rows. Nobody deletes themselves, and the last active admin stays.
 */
export async function deleteUser(db: Knex, emit: Emit, actorId: string, userId: string): Promise<{ email: string }> {
  return db.transaction(async (trx) => {
    const activeAdmins: Array<{ id: string }> = await trx('users').where({ role: 'ADMIN', status: 'active' })
      .orderBy('id').forUpdate().select('id')
    const user: Pick<UserRow, 'id' | 'email' | 'role' | 'status'> | undefined = await trx('users').where({ id: userId })
      .forUpdate().first('id', 'email', 'role', 'status')
    if (!user) throw new NotFound('There is no such user (it may have been deleted already).')
    if (user.id === actorId) throw new Conflict('You cannot delete your own account. Ask another admin to do it.')
    if (user.role === 'ADMIN' && user.status === 'active' && !activeAdmins.some((a) => a.id !== user.id)) {
      throw new Conflict('This is the last active admin. Make another user an admin first.')
    }
    await userDeleted(emit, trx, user, actorId)
    await trx('users').where({ id: user.id }).del()
    return { email: user.email }
  })
}
