// The admin area: /admin and its sections, for admins only. One guard in front of
// everything under /admin (a USER gets 403, nobody signed in goes to the sign-in page);
// each section is its own router. Plugins' admin routes (/admin/<plugin>) are mounted
// by the host and pass through the same guard first.
import express, { type Router } from 'express'
import { adminOverview } from './overview.ts'
import { userAdminRoutes } from './users.ts'
import { serviceAdminRoutes } from './services.ts'
import { errorLogRoutes } from './error-log.ts'
import { pluginsPageRoutes } from './plugins-page.ts'
import { setupGuideRoutes } from './setup-guide-routes.ts'
import type { AdminDeps } from './deps.ts'


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
