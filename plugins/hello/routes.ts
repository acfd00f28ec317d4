import type { PluginContext } from 'medianest/plugin-api'
import { z } from 'medianest/plugin-api'
import { recentGreetings } from './greetings.ts'

const greetBody = z.object({ message: z.string().trim().min(1, 'Write a message.').max(200, 'Keep it under 200 characters.') })

export function helloRoutes(ctx: PluginContext<{ greeting: string; greetingsPerHour: number }>) {
  const router = ctx.http.router()
  router.use(ctx.http.requireUser)

  router.get('/', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    await ctx.views.pageOrFragment(req, res, {
      page: 'hello:index', fragment: 'hello:_greetings', title: 'Hello',
      data: { greeting: ctx.config.greeting, name: viewer.name ?? viewer.email, greetings: await recentGreetings(ctx.db, viewer.id), error: null },
    })
  })

  router.post('/', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const body = ctx.http.parse(greetBody, req.body)
    await ctx.jobs.enqueue('greet', { userId: viewer.id, message: body.message })
    if (req.get('HX-Request') === 'true') {
      await ctx.views.pageOrFragment(req, res, {
        page: 'hello:index', fragment: 'hello:_greetings', status: 202,
        data: { greeting: ctx.config.greeting, name: viewer.name ?? viewer.email, greetings: await recentGreetings(ctx.db, viewer.id), error: null, queued: true },
      })
      return
    }
    res.redirect(303, '/hello')
  })
  return router
}
