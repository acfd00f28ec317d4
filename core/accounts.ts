// Accounts as one feature of the core: sign-in, the first admin, rate limits on
// sign-in and on every signed-in request, the account pages and the admin area.
import { siteTimeZone } from './time-zones.ts'
import type { Request, RequestHandler, Router } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import { durationMs, type Config } from './config.ts'
import type { CoreServices } from './core-services.ts'
import type { PluginHost } from './plugins/host.ts'
import type { ScheduleDefinition } from './plugin-api.ts'
import type { CookiePolicy } from './auth/cookies.ts'
import type { SessionPolicy } from './auth/sessions.ts'
import { bootstrapFirstAdmin } from './auth/bootstrap.ts'
import { signInRoutes, type SignInLimits } from './auth/sign-in-routes.ts'
import { addressKey, BufferedRateLimitStore, createRateLimit, perUserLimit } from './http/rate-limit.ts'
import { normalizeEmail } from './auth/users.ts'
import { viewerOf } from './http/request-context.ts'
import { accountRoutes } from './account/routes.ts'
import { forgotRoutes } from './account/forgot.ts'
import { verifyEmailRoutes } from './account/verify-email.ts'
import { adminRoutes } from './admin/routes.ts'
import { SetupGuide } from './setup-guide.ts'

export interface AccountsFeature {
  routes: Router[]
  authenticatedLimit: RequestHandler
  schedules: ScheduleDefinition[]
  setupCode: string | null
  /** The first admin's setup guide: its page is an admin route, its card on the dashboard. */
  guide: SetupGuide
  /** Writes what the buffered rate limit counted and stops its timer. */
  stop(): Promise<void>
}

/**
 * Sign-in limits. Only failed attempts count (a success takes its hit back), so the
 * owner signing in every day never spends them. Three limits, each a fixed window:
 * - per address (IPv6: per /56), any account: one address cannot spray many accounts;
 * - per account and address, tight (10 per 15 min): one address cannot guess one
 *   account's password, and stopping it there does not lock anyone else out;
 * - per account, all addresses, loose (100 per 15 min): caps a distributed guess.
 *   It is ten times the tight limit, so an attacker needs ten addresses (ten /56s)
 *   failing together to reach it and keep the owner out; one address never can, and
 *   the owner signs in from any address the attacker is not using.
 */
export function signInLimits(db: Knex, limits: Config['rateLimits']): SignInLimits {
  const accountOf = (req: Request) => typeof req.body?.email === 'string' ? normalizeEmail(req.body.email).slice(0, 254) : ''
  const limit = (endpoint: string, rule: { limit: number; window: string }, message: (wait: string) => string, key?: (req: Request) => string | null) =>
    createRateLimit({ db, endpoint, limit: rule.limit, windowMs: durationMs(rule.window), message, key, failuresOnly: true })
  return {
    perIp: limit('login:ip', limits.login,
      (wait) => `Too many failed sign-in attempts from your address. Try again in ${wait}.`),
    // The address comes first: a long email cut to the key's length still keeps it.
    perAccountAndIp: limit('login:account-ip', limits.loginAccountAddress,
      (wait) => `Too many failed sign-in attempts for this account from your address. Try again in ${wait}.`,
      (req) => accountOf(req) ? `ip:${addressKey(req)}:account:${accountOf(req)}` : null),
    perAccount: limit('login:account', limits.loginAccount,
      (wait) => `Too many failed sign-in attempts for this account. Try again in ${wait}.`,
      (req) => accountOf(req) ? `account:${accountOf(req)}` : null),
    // Each form has its own count: a household mistyping a reset password must not
    // lock everyone behind the same address out of signing in, and the other way round.
    setup: limit('setup:ip', limits.login, (wait) => `Too many attempts. Try again in ${wait}.`),
    reset: limit('reset:ip', limits.login, (wait) => `Too many attempts. Try again in ${wait}.`),
    // Every ask counts, not only failures: each one may send a mail.
    forgot: createRateLimit({ db, endpoint: 'forgot:ip', limit: limits.login.limit, windowMs: durationMs(limits.login.window), message: (wait) => `Too many requests for a reset link from your address. Try again in ${wait}.` }),
  }
}

export async function accountsFeature(options: {
  config: Config; core: CoreServices; host: PluginHost; log: Logger; cookies: CookiePolicy; sessionPolicy: SessionPolicy
}): Promise<AccountsFeature> {
  const { config, core, host, log, cookies, sessionPolicy } = options
  const db = core.db.knex
  const { setupCode } = await bootstrapFirstAdmin(db, config, log)
  const loginLimit = signInLimits(db, config.rateLimits)
  const all = config.rateLimits.authenticated
  const authenticatedStore = new BufferedRateLimitStore(db, 'authenticated')
  const authenticatedLimit = perUserLimit({
    store: authenticatedStore, limit: all.limit, windowMs: durationMs(all.window),
    skip: (req) => !viewerOf(req) || req.path === '/events',
  })
  const guide = new SetupGuide(db, host, log, core.viewerCaches)
  const routes: Router[] = [
    signInRoutes({ db, views: core.views, host, log, cookies, sessionPolicy, signed: core.session.signed, loginLimit, passwordLogin: config.auth.passwordLogin }),
    accountRoutes({ db, views: core.views, log, cookies, sessionPolicy, requireUser: core.guards.requireUser, resetLimit: loginLimit.reset, bootstrapAdminEmail: config.bootstrapAdmin?.email ?? null, mailsLinks: core.mail.configured && !!config.publicUrl, siteTimeZone: siteTimeZone(config) }),
    verifyEmailRoutes({ db, views: core.views, log, mail: core.mail, publicUrl: config.publicUrl, cookies, requireUser: core.guards.requireUser }),
    forgotRoutes({ db, views: core.views, log, mail: core.mail, queue: core.queue, publicUrl: config.publicUrl, limit: loginLimit.forgot }),
    adminRoutes({
      db, views: core.views, log, host, secrets: core.secrets, requireAdmin: core.guards.requireAdmin, publicUrl: config.publicUrl, cookies,
      mailConfigured: core.mail.configured, siteTimeZone: siteTimeZone(config),
      emit: (event, payload, options) => core.bus.emit(event, payload, options),
      guide,
    }),
  ]
  return { routes, authenticatedLimit, schedules: [], setupCode, guide, stop: () => authenticatedStore.shutdown() }
}
