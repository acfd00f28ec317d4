// The admin area: /admin and its sections, for admins only. One guard in front of
// everything under /admin (a USER gets 403, nobody signed in goes to the sign-in page);
// each section is its own router. Plugins' admin routes (/admin/<plugin>) are mounted
// by the host and pass through the same guard first.
import express, { type RequestHandler, type Router } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import type { ViewEngine } from '../views.ts'
import type { PluginHost } from '../plugins/host.ts'
import type { Secrets } from '../plugin-api.ts'
import type { CookiePolicy } from '../auth/cookies.ts'
import type { Emit } from '../lifecycle-events.ts'
import { adminOverview } from './overview.ts'
import { userAdminRoutes } from './users.ts'
import { serviceAdminRoutes } from './services.ts'
import { errorLogRoutes } from './error-log.ts'
import { pluginsPageRoutes } from './plugins-page.ts'
import { setupGuideRoutes } from './setup-guide-routes.ts'
import type { SetupGuide } from '../setup-guide.ts'

export interface AdminDeps {
  /** Whether a `mail` section is configured: the overview says what mail did, or that none is sent. */
  mailConfigured: boolean
  db: Knex
  views: ViewEngine
  log: Logger
  host: PluginHost
  secrets: Secrets
  requireAdmin: RequestHandler
  publicUrl?: string
  cookies: CookiePolicy
  /** The core's event bus, for its lifecycle facts (core.user.*, core.service.updated). */
  emit: Emit
  guide: SetupGuide
}

export function adminRoutes(deps: AdminDeps): Router {
  const admin = express.Router()
  admin.get('/', async (req, res) => {
    await deps.views.pageOrFragment(req, res, {
      page: 'admin/index', fragment: 'admin/index', title: 'Admin',
      data: { overview: await adminOverview(deps.db, deps.host, deps.mailConfigured) },
    })
  })
  admin.use(userAdminRoutes(deps))
  admin.use(serviceAdminRoutes(deps))
  admin.use(errorLogRoutes(deps))
  admin.use(pluginsPageRoutes(deps))
  admin.use(setupGuideRoutes(deps))

  const router = express.Router()
  router.use('/admin', deps.requireAdmin, admin)
  return router
}
