// /monitor: the status board and one page per service, for every signed-in person.
// What only admins may see is filtered in board.ts before rendering.
import { NotFound, z } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import { serviceData, type Range } from './board.ts'
import { renderedBoard } from './board-cache.ts'

const rangeQuery = z.object({ range: z.enum(['24h', '7d', '30d']).catch('24h').default('24h') })

export const NOTICES = {
  'note-saved': 'The note is saved.',
  resolved: 'The incident is marked resolved.',
  'already-resolved': 'That incident was already resolved.',
  paused: 'Checks are paused: nothing is recorded (no incidents, no notifications) until you resume them.',
  'already-paused': 'Its checks were paused already.',
  resumed: 'Checks resumed: it is checked within seconds.',
  'already-resumed': 'Its checks were running already.',
}

export function monitorRoutes(ctx: MonitorContext) {
  const router = ctx.http.router()
  router.use(ctx.http.requireUser)

  router.get('/', async (req, res) => {
    const board = await renderedBoard(ctx, ctx.http.mustViewer(req).role)
    await ctx.views.pageOrFragment(req, res, {
      page: 'monitor:board', fragment: 'monitor:_board-cached', title: 'Service status',
      data: { boardHtml: board.html, updated: { iso: board.at.toISOString(), text: ctx.http.formatDate(req, board.at) } },
    })
  })

  router.get('/services/:name', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const { range } = rangeQuery.parse(req.query)
    const data = await serviceData(ctx.db, viewer, String(req.params.name), range as Range, ctx.clock.now(), (d, style) => ctx.http.formatDate(req, d, style))
    if (!data) throw new NotFound('No watched service has that name.')
    await ctx.views.pageOrFragment(req, res, {
      page: 'monitor:service', fragment: 'monitor:_service', title: data.row.displayName,
      data: { ...data, notice: ctx.http.takeFlash(req, res, NOTICES), noteError: null },
    })
  })
  return router
}
