// Builds the Express app (no listen): used by server.ts and by tests.
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import express, { type Express, type RequestHandler } from 'express'
import cookieParser from 'cookie-parser'
import type { Logger } from 'winston'
import { durationMs, type Config } from './config.ts'
import { createRateLimit } from './http/rate-limit.ts'
import type { CoreServices } from './core-services.ts'
import type { PluginHost } from './plugins/host.ts'
import type { Csrf } from './http/csrf.ts'
import { apiTokenOf, requestContext, requestId, viewerOf } from './http/request-context.ts'
import { securityHeaders } from './http/security-headers.ts'
import { errorHandler, notFoundFallthrough } from './http/errors.ts'
import type { ErrorRecorder } from './http/error-recorder.ts'
import { refuseNulCharacters } from './http/nul-characters.ts'
import { healthRoutes, readyzDetails } from './http/health.ts'
import { metricsRoute } from './http/metrics.ts'
import { coreAssets } from './http/static-assets.ts'
import { compressResponses } from './http/compression.ts'
import { series } from './http/series.ts'
import { authenticate } from './auth/authenticate.ts'
import { passwordChangeGate } from './auth/password-change-gate.ts'
import { endedSessionGate } from './auth/ended-session.ts'
import { privatePagesNotStored } from './auth/private-pages.ts'
import { dashboardRoutes } from './dashboard.ts'
import { anyUserExists } from './auth/users.ts'
import { webhookRoutes } from './webhooks/routes.ts'
import type { CookiePolicy } from './auth/cookies.ts'
import type { SessionPolicy } from './auth/sessions.ts'
import type { SessionCache } from './auth/session-cache.ts'
import { wantsFragment } from './views.ts'
import { siteTimeZone } from './time-zones.ts'
import type { SetupGuide } from './setup-guide.ts'

const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url))
const require = createRequire(import.meta.url)
const HTMX_DIST = path.join(path.dirname(require.resolve('htmx.org/package.json')), 'dist')

export interface AppParts {
  config: Config
  log: Logger
  core: CoreServices
  host: PluginHost
  csrf: Csrf
  cookies: CookiePolicy
  sessionPolicy: SessionPolicy
  sessionCache: SessionCache
  /** Core routers that need a viewer (accounts, admin…), mounted before the plugins. */
  coreRoutes: express.Router[]
  /** The setup guide's card on an admin's dashboard. */
  setupGuide?: SetupGuide
  /** Middleware that runs for every signed-in request (the per-user rate limit). */
  authenticatedLimit?: RequestHandler
  ready: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>
  errorRecorder: ErrorRecorder
}

export function createApp(parts: AppParts): Express {
  const { config, core, host, csrf } = parts
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', config.trustProxy)
  app.set('etag', false)

  app.use(series(requestContext(parts.log), securityHeaders({ https: parts.cookies.secure })))
  app.use(healthRoutes(parts.ready, parts.log))
  app.use(metricsRoute({ token: config.metrics.token, db: core.db.knex, liveStreams: () => core.live.connections(), pluginMetrics: () => host.metrics(), log: parts.log }))
  const assets = coreAssets({ publicDir: PUBLIC_DIR, htmxDist: HTMX_DIST, reloadOnChange: config.logLevel === 'debug' })
  app.use(assets.handler)

  // A file that is not there is a plain 404 here, before cookies, sessions or the
  // database: send's own error (with its path on disk) never reaches the error handler.
  const staticOptions = { maxAge: config.logLevel === 'debug' ? 0 : '1h', index: false }
  app.use('/public', express.static(PUBLIC_DIR, staticOptions), notFoundFallthrough)
  app.use('/vendor', notFoundFallthrough)

  app.use(compressResponses())
  // Before the cookie parser, the sessions, CSRF and the body parsers: a webhook delivery
  // is verified by its own secret and never sees a session (core/webhooks/routes.ts).
  app.use(webhookRoutes({ db: core.db.knex, host, recorder: parts.errorRecorder }))

  // Only requests that may carry a body go through the body parsers (they cost every GET otherwise).
  const withBody = (parser: RequestHandler): RequestHandler => (req, res, next) =>
    (req.method === 'GET' || req.method === 'HEAD' ? next() : parser(req, res, next))
  // Who is asking and whether they may: one layer, in this order, for every request below.
  app.use(series(
    cookieParser(),
    withBody(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 200 })),
    withBody(express.json({ limit: '1mb' })),
    refuseNulCharacters,
    authenticate({ db: core.db.knex, policy: parts.sessionPolicy, cookies: parts.cookies, cache: parts.sessionCache }),
    privatePagesNotStored,
    endedSessionGate(parts.cookies),
    csrf.verify,
    ...(parts.authenticatedLimit ? [parts.authenticatedLimit] : []),
    passwordChangeGate,
  ))

  app.use(readyzDetails(parts.ready, () => host.warnings(), (req) => viewerOf(req)?.role === 'ADMIN'))

  const siteZone = siteTimeZone(config)
  core.views.setLayoutLocals(async (req, res, page) => {
    const viewer = viewerOf(req)
    return {
      viewer,
      // A fragment has no header: only a full page pays for the nav entries' own renders.
      nav: wantsFragment(req) ? [] : await host.renderedNav(viewer, req),
      // A public page (a status page) has no form: a visitor without a session gets no cookie from it.
      csrfToken: !viewer && page?.publicLive ? csrf.existingToken(req) : csrf.token(req, res),
      requestId: requestId(req),
      currentPath: pathOnly(req.originalUrl),
      asset: assets.url,
      // The zone this reader reads dates in: public/local-times.js moves a pushed date into it.
      timeZone: viewer?.timeZone ?? siteZone,
      // The stream's first connection replays from here: what is published while the page
      // loads is not lost (the browser has no Last-Event-ID yet). No query: it is in memory.
      liveSince: core.live.mark(),
    }
  })

  // Signed out, a page gets an anonymous stream of public events only (capped per process and address).
  app.get('/events', core.live.handler(viewerOf, apiTokenOf))
  app.use(dashboardRoutes({
    host, views: core.views, requireUser: core.guards.requireUser, freshInstall: async () => !(await anyUserExists(core.db.knex)),
    guideCard: async () => (parts.setupGuide ? parts.setupGuide.cardFor() : null),
  }))
  for (const router of parts.coreRoutes) app.use(router)
  host.mount(app, core.guards, (plugin, def) => createRateLimit({
    db: core.db.knex, endpoint: `${plugin}:${def.id}`, limit: def.limit, windowMs: durationMs(def.window), successesOnly: def.acceptedOnly === true,
  }))

  app.use(notFoundFallthrough)
  app.use(errorHandler({ recorder: parts.errorRecorder, views: core.views, log: parts.log }))
  return app
}

const pathOnly = (url: string) => {
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}
