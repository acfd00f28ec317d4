// /admin/monitor/maintenance: the windows, a form to add one (errors beside each field,
// nothing saved), and delete. A window is checked against the others and stored under
// one table lock, so two admins saving overlapping windows at once cannot both succeed.
import { NotFound, TIME_ZONES, type Request, type Response, type Router } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import { checkForm, createWindow, describe, listWindows, nextSpan, readForm, WEEKDAYS, type WindowForm } from './maintenance.ts'
import { boardChanged } from './board-cache.ts'
import { shown } from './board.ts'

export const MAINTENANCE_NOTICES = {
  created: 'The maintenance window is saved.',
  deleted: 'The maintenance window is deleted.',
}

const PATH = '/admin/monitor/maintenance'
/** A blank window, in the zone the viewer reads dates in. */
const blank = (timeZone: string): WindowForm => ({ title: '', services: [], kind: 'once', starts: '', ends: '', weekdays: [], start_time: '02:00', duration: '1h', time_zone: timeZone })

export function maintenanceRoutes(ctx: MonitorContext, router: Router, changed: (services: string[]) => Promise<void>): void {
  /** Services a window can name: every watched one of ours (a mirror's maintenance is Uptime Kuma's). */
  const watched = async () => new Map<string, string>((await ctx.db('service_status').whereIn('source', ['service', 'check']).orderBy('display_name')
    .select('service_name', 'display_name')).map((r: { service_name: string; display_name: string }) => [r.service_name, r.display_name]))

  const render = async (req: Request, res: Response, form: WindowForm, problems: Record<string, string>, status = 200) => {
    const services = await watched()
    const now = ctx.clock.now()
    const windows = (await listWindows(ctx.db)).map((w) => {
      const next = nextSpan(w, now)
      const at = (ms: number) => shown(new Date(ms), (d, style) => ctx.http.formatDate(req, d, style))
      return {
        id: w.id, title: w.title, when: describe(w),
        services: w.services.map((s) => services.get(s) ?? `${s} (no longer watched)`),
        state: !next ? { words: 'Over', at: null } : next.start <= now.getTime() ? { words: 'On now, until', at: at(next.end) } : { words: 'Next:', at: at(next.start) },
      }
    })
    await ctx.views.pageOrFragment(req, res, {
      page: 'monitor:maintenance', fragment: 'monitor:_maintenance', title: 'Maintenance windows', status,
      data: {
        windows, form, problems, zones: TIME_ZONES, weekdays: WEEKDAYS,
        services: [...services].map(([name, label]) => ({ name, label })),
        notice: status === 200 ? ctx.http.takeFlash(req, res, MAINTENANCE_NOTICES) : null,
      },
    })
  }

  router.get('/maintenance', async (req, res) => render(req, res, blank(ctx.http.timeZone(req)), {}))

  router.post('/maintenance', async (req, res) => {
    const form = readForm((req.body ?? {}) as Record<string, unknown>)
    const services = await watched()
    const saved = await ctx.db.transaction(async (trx) => {
      // Checked and stored under one lock: the overlap rule holds against a concurrent save.
      await trx.raw('lock table monitor_maintenance in exclusive mode')
      const checked = checkForm(form, services, await listWindows(trx), ctx.clock.now(), (d) => ctx.http.formatDate(req, d))
      if ('problems' in checked) return checked
      await createWindow(trx, checked.window, ctx.http.mustViewer(req).id)
      return checked
    })
    if ('problems' in saved) return render(req, res, form, saved.problems, 422)
    ctx.log.info(`monitor: ${ctx.http.mustViewer(req).id} added the maintenance window "${saved.window.title}" (${describe(saved.window)})`)
    await changed(saved.window.services)
    await boardChanged(ctx)
    ctx.http.flash(res, 'created')
    ctx.http.sendTo(req, res, PATH)
  })

  router.post('/maintenance/:id/delete', async (req, res) => {
    const id = Number(req.params.id)
    if (!Number.isSafeInteger(id) || id < 1) throw new NotFound('There is no such maintenance window.')
    const [gone] = await ctx.db('monitor_maintenance').where({ id }).del().returning('services')
    if (!gone) throw new NotFound('There is no such maintenance window (it may have been deleted already).')
    const names: string[] = typeof gone.services === 'string' ? JSON.parse(gone.services) : gone.services
    await changed(names)
    await boardChanged(ctx)
    ctx.http.flash(res, 'deleted')
    ctx.http.sendTo(req, res, PATH)
  })
}
