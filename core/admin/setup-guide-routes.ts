// /admin/guide: the setup guide as a page of its own (every step, its live state, a link
// to the form that does it), and the admin's choices: skip a step, hide the guide.
import express, { type Request, type Response, type Router } from 'express'
import { NotFound } from '../plugin-api.ts'
import { viewerOf } from '../http/request-context.ts'
import { sendTo } from '../auth/start-session.ts'
import type { ViewEngine } from '../views.ts'
import type { SetupGuide } from '../setup-guide.ts'

export function setupGuideRoutes(deps: { views: ViewEngine; guide: SetupGuide }): Router {
  const { views, guide } = deps
  const router = express.Router()

  const render = async (req: Request, res: Response) => {
    const steps = await guide.steps()
    await views.pageOrFragment(req, res, {
      page: 'admin/guide', fragment: 'admin/_guide', title: 'Setup guide',
      data: {
        steps, dismissed: await guide.dismissed(),
        done: steps.filter((s) => s.status === 'done').length,
        open: steps.filter((s) => s.status === 'todo' || s.status === 'attention').length,
        // After an htmx change the list is swapped in place: focus goes to its heading.
        swapped: req.get('HX-Request') === 'true' && req.method === 'POST',
      },
    })
  }
  router.get('/guide', render)

  const stepKey = (req: Request) => {
    const key = `${String(req.params.plugin)}:${String(req.params.id)}`
    if (!guide.has(key)) throw new NotFound('The setup guide has no such step.')
    return key
  }
  const back = (req: Request, res: Response) => (req.get('HX-Request') === 'true' ? render(req, res) : res.redirect(303, '/admin/guide'))
  router.post('/guide/steps/:plugin/:id/skip', async (req, res) => {
    await guide.skip(stepKey(req), viewerOf(req)!.id, true)
    await back(req, res)
  })
  router.post('/guide/steps/:plugin/:id/unskip', async (req, res) => {
    await guide.skip(stepKey(req), viewerOf(req)!.id, false)
    await back(req, res)
  })
  router.post('/guide/dismiss', async (req, res) => {
    await guide.dismiss(viewerOf(req)!.id, true)
    sendTo(req, res, '/')
  })
  router.post('/guide/restore', async (req, res) => {
    await guide.dismiss(viewerOf(req)!.id, false)
    await back(req, res)
  })
  return router
}
