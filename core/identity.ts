// Sign-in by a plugin (ctx.identity). A plugin vouches for a person through its own
// provider (plex-auth's PIN flow, a community OIDC plugin); the core does everything
// after that exactly as the password form does. The rules that keep accounts safe live
// here, once, for every provider:
// - an existing user is linked by email only when the provider confirmed that email
//   (otherwise anyone could claim the owner's account by typing the owner's address);
// - a suspended user is refused with the password form's words;
// - tokens are sealed with the row's own id in the associated data, never stored clear;
// - ADMIN is granted only while no active admin exists (an owner's first sign-in), and
//   an owner-first setup needs the setup code's grant, which it uses up;
// - a plugin reaches only the providers it declared (a community plugin cannot read
//   Plex tokens).
// For provider 'plex' the brief's users.plex_id and plex_username are filled too; the
// Plex token lives sealed in accounts.access_token, never in users.plex_token.
import crypto from 'node:crypto'
import type { Request, Response } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import {
  BadInput, Conflict, Forbidden, NotFound,
  type Identity, type ProviderAccount, type ProviderTokens, type PublicUser, type Secrets, type Users,
} from './plugin-api.ts'
import { audit } from './auth/audit.ts'
import { safeNext } from './auth/next-target.ts'
import { sendTo, startSession, type SessionDeps } from './auth/start-session.ts'
import { normalizeEmail, type UserRow } from './auth/users.ts'
import { requestLog } from './http/request-context.ts'
import { userCreated, userUpdated, type Emit } from './lifecycle-events.ts'
import { consumeSetupGrant, liveSetupGrant } from './auth/setup-grant.ts'
import { refuseToLogin } from './auth/login-refusal.ts'

export const SUSPENDED_MESSAGE = 'This account is suspended. Ask an admin to reactivate it.'
export const SETUP_NEEDED = 'Setting MediaNest up this way needs the setup code, and it was used, has expired, or an admin already exists. Open /setup with a fresh code (restart the server for one), or sign in.'
type TokenField = 'access_token' | 'refresh_token' | 'id_token'
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export const tokenAad = (accountId: string, field: string) => `accounts:${accountId}:${field}`

interface AccountRow {
  id: string
  user_id: string
  provider: string
  provider_account_id: string
  access_token: string | null
  refresh_token: string | null
  id_token: string | null
  expires_at: number | null
  token_type: string | null
  scope: string | null
}

export interface IdentityDeps {
  db: Knex
  secrets: Secrets
  users: Users
  emit: Emit
  log: Logger
  session: SessionDeps
  plugin: string
  /** The plugin's declared identityProviders (read late: register() runs after the context exists). */
  providers: () => string[]
}

/**
 * A provider's own columns on users (the brief's plex_id and plex_username, for the
 * provider 'plex'), by a rule rather than a name: `<provider>_id` and `<provider>_username`
 * when the table has them. The core names no provider; a provider without them keeps its
 * ids in accounts only.
 */
function providerColumns(db: Knex): (provider: string, id: string, username: string | null | undefined) => Promise<Record<string, string | null>> {
  // The users table's columns, read once (and again after a failed read).
  let userColumns: Promise<Set<string>> | null = null
  return async (provider, id, username) => {
    userColumns ??= db('users').columnInfo().then((info) => new Set(Object.keys(info)))
    const columns = await userColumns.catch((error: unknown) => { userColumns = null; throw error })
    const base = provider.replace(/-/g, '_')
    const out: Record<string, string | null> = {}
    if (columns.has(`${base}_id`)) out[`${base}_id`] = id
    if (columns.has(`${base}_username`)) out[`${base}_username`] = username?.slice(0, 255) ?? null
    return out
  }
}

export function createIdentity(deps: IdentityDeps): Identity {
  const { db, secrets, users, plugin } = deps
  const profileColumns = providerColumns(db)
  const own = (provider: string) => {
    if (!deps.providers().includes(provider)) {
      throw new Error(`plugin "${plugin}" uses the sign-in provider "${provider}", which its register() does not declare in identityProviders`)
    }
  }
  const sealTokens = (accountId: string, tokens: ProviderTokens | undefined) => {
    const seal = (value: string | null | undefined, field: string) => (value ? secrets.encrypt(value, tokenAad(accountId, field)) : null)
    return {
      access_token: seal(tokens?.accessToken, 'access_token'),
      refresh_token: seal(tokens?.refreshToken, 'refresh_token'),
      id_token: seal(tokens?.idToken, 'id_token'),
      expires_at: tokens?.expiresAt ?? null,
      token_type: tokens?.tokenType?.slice(0, 255) ?? null,
      scope: tokens?.scope?.slice(0, 255) ?? null,
    }
  }
  const publicUser = async (id: string): Promise<PublicUser> => (await users.get(id))!

  return {
    async findByAccount(provider, providerAccountId) {
      own(provider)
      const row = await db<AccountRow>('accounts').where({ provider, provider_account_id: String(providerAccountId) }).first('user_id')
      return row ? users.get(row.user_id) : null
    },

    async linkOrCreate(account: ProviderAccount, options = {}) {
      own(account.provider)
      const grant = options.setup ? await liveSetupGrant(db, options.setup, deps.session.signed) : null
      if (options.setup && !grant) throw new Forbidden(SETUP_NEEDED)
      const providerAccountId = String(account.providerAccountId ?? '').slice(0, 255)
      if (!providerAccountId) throw new BadInput(`The ${account.provider} account has no id.`)
      const email = typeof account.email === 'string' ? normalizeEmail(account.email) : ''
      if (!EMAIL.test(email) || email.length > 254) {
        throw new BadInput(`Your ${account.provider} account has no usable email address, which MediaNest needs to know you. Add one there and try again.`)
      }
      const profile = {
        name: account.name?.trim().slice(0, 100) || null,
        image: httpUrl(account.image),
        ...(await profileColumns(account.provider, providerAccountId, account.username)),
      }
      const result = await db.transaction(async (trx) => {
        // The code is used up here, with the rows: a second setup racing this one, or one
        // after an admin appeared, gets nothing.
        if (grant && (!(await consumeSetupGrant(trx, grant)) || (await trx('users').where({ role: 'ADMIN', status: 'active' }).first('id')))) {
          throw new Forbidden(SETUP_NEEDED)
        }
        const promote = async (user: UserRow) => {
          if (!grant || user.role === 'ADMIN') return
          await trx('users').where({ id: user.id }).update({ role: 'ADMIN' })
          await userUpdated(deps.emit, trx, { ...user, role: 'ADMIN' }, ['role'], null)
        }
        const linked = await trx<AccountRow>('accounts').where({ provider: account.provider, provider_account_id: providerAccountId }).forUpdate().first()
        if (linked) {
          const user = await trx<UserRow>('users').where({ id: linked.user_id }).forUpdate().first()
          if (!user) throw new NotFound('That account no longer exists.')
          if (user.status !== 'active') throw new Forbidden(SUSPENDED_MESSAGE)
          // A confirmed new address follows the provider, unless another user has it.
          const emailMoves = account.emailVerified && email !== user.email && !(await trx('users').where({ email }).first('id'))
          await trx('users').where({ id: user.id }).update({ ...profile, ...(emailMoves ? { email } : {}) })
          await trx('accounts').where({ id: linked.id }).update(sealTokens(linked.id, account.tokens))
          await promote(user)
          return { userId: user.id, created: false, linked: false }
        }
        const existing = await trx<UserRow>('users').where({ email }).forUpdate().first()
        if (existing && !account.emailVerified) {
          throw new Conflict(`An account with the email ${email} already exists, and ${account.provider} has not confirmed that this address is yours. Confirm it with ${account.provider}, or sign in with your password and ask an admin.`)
        }
        if (existing && existing.status !== 'active') throw new Forbidden(SUSPENDED_MESSAGE)
        let userId: string
        if (existing) {
          userId = existing.id
          await trx('users').where({ id: userId }).update(profile)
          await promote(existing)
        } else {
          const adminExists = Boolean(await trx('users').where({ role: 'ADMIN', status: 'active' }).first('id'))
          const role = grant || (account.role === 'ADMIN' && !adminExists) ? 'ADMIN' : 'USER'
          const [row] = await trx<UserRow>('users').insert({ email, role, status: 'active', ...profile }).returning('*')
          userId = row.id
          await userCreated(deps.emit, trx, row, account.provider, null)
        }
        const accountId = crypto.randomUUID()
        await trx('accounts').insert({
          id: accountId, user_id: userId, type: 'oauth', provider: account.provider, provider_account_id: providerAccountId,
          ...sealTokens(accountId, account.tokens),
        })
        return { userId, created: !existing, linked: Boolean(existing) }
      }).catch((error: unknown) => {
        // Two first sign-ins of one person at once: the other one made the rows; use them.
        if ((error as { code?: string })?.code === '23505') throw new Conflict('That sign-in is already being processed. Try again in a moment.')
        throw error
      })
      if (result.created || result.linked) {
        deps.log.info(`${result.created ? 'created' : 'linked'} a user for a ${account.provider} account`, { user: result.userId })
      }
      return { user: await publicUser(result.userId), created: result.created, linked: result.linked }
    },

    async signIn(req: Request, res: Response, userId: string, options) {
      own(options.method)
      const user = await db<UserRow>('users').where({ id: userId }).first()
      if (!user) throw new NotFound('That account no longer exists.')
      if (user.status !== 'active') {
        audit(requestLog(req), 'sign-in refused (suspended)', { user: user.id, method: options.method, ip: req.ip })
        throw new Forbidden(SUSPENDED_MESSAGE)
      }
      await startSession(deps.session, req, res, user, options.method)
      audit(requestLog(req), 'sign-in', { user: user.id, method: options.method, plugin, ip: req.ip })
      sendTo(req, res, user.requires_password_change ? '/account/password' : safeNext(options.next))
    },

    async tokens(provider, providerAccountId) {
      own(provider)
      const row = await db<AccountRow>('accounts').where({ provider, provider_account_id: String(providerAccountId) }).first()
      if (!row) return null
      const open = (field: TokenField) => (row[field] ? secrets.decrypt(row[field]!, tokenAad(row.id, field)) : null)
      return {
        accessToken: open('access_token'), refreshToken: open('refresh_token'), idToken: open('id_token'),
        expiresAt: row.expires_at, tokenType: row.token_type, scope: row.scope,
      }
    },

    async accounts(provider) {
      own(provider)
      const rows: Array<{ user_id: string; provider_account_id: string }> = await db('accounts').where({ provider })
        .orderBy('provider_account_id').select('user_id', 'provider_account_id')
      return rows.map((r) => ({ userId: r.user_id, providerAccountId: r.provider_account_id }))
    },

    async setupGrant(req) {
      return Boolean(await liveSetupGrant(db, req, deps.session.signed))
    },

    refuse(req, res, message, options = {}) {
      audit(requestLog(req), 'sign-in refused', { plugin, reason: message.slice(0, 200), ip: req.ip })
      refuseToLogin(req, res, deps.session.signed, message, options.next)
    },

    async endSessions(userId, provider) {
      own(provider)
      return Number(await db('sessions').where({ user_id: userId, sign_in_method: provider }).del())
    },
  }
}

function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2000) return null
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null
  } catch {
    return null
  }
}
