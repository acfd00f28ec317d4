// /admin/monitor (behind the core's admin guard): run one check now and show the result
// inline ("Test connection"), add a note to an incident, resolve one by hand, pause and
// resume a service, and the maintenance windows.
import { NotFound, z, type Request, type Response } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import { checkTarget, currentTargets } from './checks.ts'
import { makeDue, setPaused, syncTargets } from './service-status.ts'
import { maintenanceRoutes } from './maintenance-routes.ts'
import { statusPageAdminRoutes } from './status-page-admin.ts'
import { findIncident, resolveIncident, setNote } from './incidents.ts'
import { serviceData } from './board.ts'
import { announceChanges } from './live-board.ts'
import { boardChanged } from './board-cache.ts'

const noteBody = z.object({
  // Control characters other than line breaks and tabs are refused, not stored.
  note: z.string().max(2000, 'Keep the note under 2000 characters.')
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'The note contains control characters; remove them.'),
})

export function monitorAdminRoutes(ctx: MonitorContext) {
  const router = ctx.http.router()
  // 303 for a plain form, HX-Redirect for htmx: the service page with its one-shot notice.
  const back = (req: Request, res: Response, service: string) => ctx.http.sendTo(req, res, `/monitor/services/${encodeURIComponent(service)}`)

  router.post('/services/:name/check', async (req, res) => {
    const name = String(req.params.name)
    const targets = await currentTargets(ctx)
    const target = targets.find((t) => t.name === name)
    if (!target) throw new NotFound('No watched service has that name.')
    const now = ctx.clock.now()
    await syncTargets(ctx.db, targets, now)
    const changes = await checkTarget(ctx, target, now, AbortSignal.timeout(target.timeoutMs + 5000))
    await boardChanged(ctx)
    await announceChanges(ctx, changes)
    const row = await ctx.db('service_status').where({ service_name: name }).first()
    const result = { status: row?.status ?? null, message: row?.message ?? '', responseTimeMs: row?.response_time_ms ?? null }
    return ctx.http.done(req, res, {
      to: `/monitor/services/${encodeURIComponent(name)}`,
      inPlace: async () => res.status(200).type('html').send(await ctx.views.render('monitor:_check-result', result)),
    })
  })

  for (const [action, paused] of [['pause', true], ['resume', false]] as const) {
    router.post(`/services/:name/${action}`, async (req, res) => {
      const name = String(req.params.name)
      const row = await ctx.db('service_status').where({ service_name: name }).first('source', 'status')
      if (!row) throw new NotFound('No watched service has that name.')
      if (row.source === 'kuma') throw new NotFound('A service mirrored from Uptime Kuma is paused in Uptime Kuma.')
      const before = row.status
      const done = await setPaused(ctx.db, name, paused, ctx.clock.now())
      if (done) {
        ctx.log.info(`monitor: ${ctx.http.mustViewer(req).id} ${paused ? 'paused' : 'resumed'} the checks of ${name}`)
        await boardChanged(ctx)
        await announceChanges(ctx, [{ name, before, after: paused ? 'paused' : 'unknown', opened: null, resolved: false }])
      }
      ctx.http.flash(res, done ? (paused ? 'paused' : 'resumed') : (paused ? 'already-paused' : 'already-resumed'))
      back(req, res, name)
    })
  }

  maintenanceRoutes(ctx, router, async (names) => {
    // What a window changes shows within seconds: its services are checked (or not) now.
    for (const name of names) await makeDue(ctx.db, name, ctx.clock.now())
  })

  statusPageAdminRoutes(ctx, router)

  router.post('/incidents/:id/note', async (req: Request, res: Response) => {
    const incident = await findIncident(ctx.db, String(req.params.id))
    if (!incident) throw new NotFound('No incident has that id.')
    const checked = ctx.http.validate(noteBody, req.body)
    if (!checked.ok) {
      const viewer = ctx.http.mustViewer(req)
      const data = await serviceData(ctx.db, viewer, incident.service_name, '24h', ctx.clock.now(), (d, style) => ctx.http.formatDate(req, d, style))
      if (!data) throw new NotFound('No watched service has that name.')
      const value = typeof req.body?.note === 'string' ? req.body.note.slice(0, 2000) : ''
      await ctx.views.pageOrFragment(req, res, {
        page: 'monitor:service', fragment: 'monitor:_service', title: data.row.displayName, status: 422,
        data: { ...data, notice: null, noteError: { id: incident.id, value, message: checked.fields.note ?? checked.message } },
      })
      return
    }
    await setNote(ctx.db, incident.id, checked.data.note.trim())
    ctx.http.flash(res, 'note-saved')
    back(req, res, incident.service_name)
  })

  router.post('/incidents/:id/resolve', async (req, res) => {
    const incident = await findIncident(ctx.db, String(req.params.id))
    if (!incident) throw new NotFound('No incident has that id.')
    const row = await ctx.db('service_status').where({ service_name: incident.service_name }).first('display_name')
    const done = await ctx.db.transaction(async (trx) => {
      const current = await trx('service_incidents').where({ id: incident.id }).forUpdate().first()
      if (current?.status !== 'open') return false
      // The count starts again: a service still failing opens a new incident after N more failures, not at once.
      await trx('service_status').where({ service_name: incident.service_name }).update({ consecutive_failures: 0 })
      await resolveIncident(trx, ctx.events, current, { serviceName: incident.service_name, displayName: row?.display_name ?? incident.service_name, by: 'admin' }, ctx.clock.now())
      return true
    })
    if (done) {
      await boardChanged(ctx)
      await announceChanges(ctx, [{ name: incident.service_name, before: null, after: 'up', opened: null, resolved: true }])
    }
    ctx.http.flash(res, done ? 'resolved' : 'already-resolved')
    back(req, res, incident.service_name)
  })
  return router
}
