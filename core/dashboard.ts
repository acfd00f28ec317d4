// The home page: one card per widget the plugins registered, each loaded as its own
// fragment so one slow widget never holds up the page.
import express, { type RequestHandler, type Router } from 'express'
import { NotFound } from './plugin-api.ts'
import { viewerOf } from './http/request-context.ts'
import type { PluginHost } from './plugins/host.ts'
import type { ViewEngine } from './views.ts'
import type { GuideCard } from './setup-guide.ts'

export function dashboardRoutes(options: {
  host: PluginHost; views: ViewEngine; requireUser: RequestHandler; freshInstall: () => Promise<boolean>
  /** The setup guide's progress for an admin's dashboard; null when there is nothing left to do. */
  guideCard: () => Promise<GuideCard | null>
}): Router {
  const { host, views } = options
  const router = express.Router()

  // A fresh install (no account at all) has nobody to sign in yet: its home page is the
  // setup form. Only asked when nobody is signed in, so a signed-in page costs nothing for it.
  const freshInstallToSetup: RequestHandler = async (req, res, next) => {
    if (viewerOf(req) || req.get('HX-Request') === 'true' || !(await options.freshInstall())) return next()
    res.redirect(303, '/setup')
  }

  router.get('/', freshInstallToSetup, options.requireUser, async (req, res) => {
    const viewer = viewerOf(req)!
    await views.pageOrFragment(req, res, {
      page: 'dashboard', fragment: 'dashboard', title: 'Dashboard',
      data: {
        widgets: host.widgets(viewer).map(({ plugin, id, title, domId }) => ({ plugin, id, title, domId })),
        guide: viewer.role === 'ADMIN' ? await options.guideCard() : null,
      },
    })
  })

  router.get('/widgets/:plugin/:id', options.requireUser, async (req, res) => {
    const viewer = viewerOf(req)!
    const widget = host.widget(String(req.params.plugin), String(req.params.id))
    if (!widget || !host.widgets(viewer).some((w) => w.domId === widget.domId)) throw new NotFound('There is no such dashboard card.')
    const html = await widget.render({ viewer, req })
    await views.pageOrFragment(req, res, {
      page: 'widget', fragment: '_widget', title: widget.title,
      data: { widget: { title: widget.title, domId: widget.domId }, html },
    })
  })
  return router
}
