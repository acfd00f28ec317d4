// Read-only users for plugins (ctx.users): public fields and the provider ids of linked
// accounts (the overseerr plugin maps a requester by Plex id). Never a hash or a token.
import type { Knex } from 'knex'
import type { PublicUser, UserPageQuery, UserQuery, Users } from './plugin-api.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAX_USERS = 1000
const COLUMNS = ['id', 'email', 'name', 'role', 'status', 'image', 'created_at', 'email_verified']

interface Row { id: string; email: string; name: string | null; role: PublicUser['role']; status: PublicUser['status']; image: string | null; created_at: Date; email_verified: boolean }

export function createUsers(db: Knex): Users {
  const withAccounts = async (on: Knex, rows: Row[]): Promise<PublicUser[]> => {
    if (!rows.length) return []
    const links: Array<{ user_id: string; provider: string; provider_account_id: string }> = await on('accounts')
      .whereIn('user_id', rows.map((r) => r.id))
      .orderBy(['provider', 'provider_account_id'])
      .select('user_id', 'provider', 'provider_account_id')
    return rows.map((r) => ({
      id: r.id, email: r.email, name: r.name, role: r.role, status: r.status, image: r.image, createdAt: r.created_at, emailVerified: Boolean(r.email_verified),
      accounts: links.filter((l) => l.user_id === r.id).map((l) => ({ provider: l.provider, providerAccountId: l.provider_account_id })),
    }))
  }

  return {
    async get(id, options = {}) {
      if (typeof id !== 'string' || !UUID.test(id)) return null
      const on = options.trx ?? db
      const row: Row | undefined = await on('users').where({ id }).first(COLUMNS)
      return row ? (await withAccounts(on, [row]))[0] : null
    },
    async list(query: UserQuery = {}, options = {}) {
      const on = options.trx ?? db
      const q = on('users').select(COLUMNS).orderBy([{ column: 'created_at' }, { column: 'id' }]).limit(MAX_USERS)
      if (query.role) q.where('role', query.role)
      if (query.status) q.where('status', query.status)
      if (query.ids) {
        if (query.ids.length > MAX_USERS) throw new RangeError(`ctx.users.list takes at most ${MAX_USERS} ids at once.`)
        const ids = query.ids.filter((id) => typeof id === 'string' && UUID.test(id))
        if (!ids.length) return []
        q.whereIn('id', ids)
      }
      return withAccounts(on, await q)
    },
    async page(query: UserPageQuery = {}, options = {}) {
      const limit = query.limit ?? MAX_USERS
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_USERS) throw new RangeError(`ctx.users.page takes a limit from 1 to ${MAX_USERS}.`)
      if (query.after !== undefined && (typeof query.after !== 'string' || !UUID.test(query.after))) {
        throw new RangeError('ctx.users.page takes as `after` only the `next` of a previous page.')
      }
      const on = options.trx ?? db
      // One row past the page says whether another follows, without a count.
      const q = on('users').select(COLUMNS).orderBy('id').limit(limit + 1)
      if (query.role) q.where('role', query.role)
      if (query.status) q.where('status', query.status)
      if (query.after) q.where('id', '>', query.after)
      const rows: Row[] = await q
      const page = rows.slice(0, limit)
      return { users: await withAccounts(on, page), next: rows.length > limit ? page[page.length - 1].id : null }
    },
  }
}
