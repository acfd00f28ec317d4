// Accounts as one feature of the core: sign-in, the first admin, rate limits on
// sign-in and on every signed-in request, the account pages and the admin area.
import type { RequestHandler, Router } from 'express'
import type { Logger } from 'winston'
import { durationMs, type Config } from './config.ts'
import type { CoreServices } from './plugins/context.ts'
import type { PluginHost } from './plugins/host.ts'
import type { ScheduleDefinition } from './plugin-api.ts'
import type { CookiePolicy } from './auth/cookies.ts'
import type { SessionPolicy } from './auth/sessions.ts'
import { bootstrapFirstAdmin } from './auth/bootstrap.ts'
import { signInRoutes } from './auth/sign-in-routes.ts'
import { BufferedRateLimitStore, createRateLimit, perUserLimit } from './http/rate-limit.ts'
import { normalizeEmail } from './auth/users.ts'
import { viewerOf } from './http/request-context.ts'
import { accountRoutes } from './account/routes.ts'
import { adminRoutes } from './admin/routes.ts'

export interface AccountsFeature {
  routes: Router[]
  authenticatedLimit: RequestHandler
  schedules: ScheduleDefinition[]
  setupCode: string | null
  /** Writes what the buffered rate limit counted and stops its timer. */
  stop(): Promise<void>
}

export async function accountsFeature(options: {
  config: Config; core: CoreServices; host: PluginHost; log: Logger; cookies: CookiePolicy; sessionPolicy: SessionPolicy
}): Promise<AccountsFeature> {
  const { config, core, host, log, cookies, sessionPolicy } = options
  const db = core.db.knex
  const { setupCode } = await bootstrapFirstAdmin(db, config, log)
  const login = config.rateLimits.login
  const loginMessage = 'Too many sign-in attempts. Wait a while before trying again.'
  const loginLimit = {
    perIp: createRateLimit({ db, endpoint: 'login:ip', limit: login.limit, windowMs: durationMs(login.window), message: loginMessage }),
    perAccount: createRateLimit({
      db, endpoint: 'login:account', limit: login.limit, windowMs: durationMs(login.window), message: loginMessage,
      key: (req) => {
        const email = typeof req.body?.email === 'string' ? normalizeEmail(req.body.email).slice(0, 254) : ''
        return email ? `account:${email}` : null
      },
    }),
  }
  const all = config.rateLimits.authenticated
  const authenticatedStore = new BufferedRateLimitStore(db, 'authenticated')
  const authenticatedLimit = perUserLimit({
    store: authenticatedStore, limit: all.limit, windowMs: durationMs(all.window),
    skip: (req) => !viewerOf(req) || req.path === '/events',
  })
  const routes: Router[] = [
    signInRoutes({ db, views: core.views, host, log, cookies, sessionPolicy, loginLimit, passwordLogin: config.auth.passwordLogin }),
    accountRoutes({ db, views: core.views, log, cookies, sessionPolicy, requireUser: core.guards.requireUser, resetLimit: loginLimit.perIp }),
    adminRoutes({
      db, views: core.views, log, host, secrets: core.secrets, requireAdmin: core.guards.requireAdmin, publicUrl: config.publicUrl,
      emit: (event, payload, options) => core.bus.emit(event, payload, options),
    }),
  ]
  return { routes, authenticatedLimit, schedules: [], setupCode, stop: () => authenticatedStore.shutdown() }
}
