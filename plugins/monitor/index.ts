// monitor: is everything up? Checks every configured service (through its owning
// plugin's health check, or over HTTP for a service added with just a URL) and the
// extra checks in the config; keeps status, raw metrics (rolled up hourly), incidents;
// mirrors an Uptime Kuma status page; shows a board, service pages and a widget.
import { definePlugin } from 'medianest/plugin-api'
import { monitorConfig, parseDuration, type MonitorContext } from './plugin-config.ts'
import { monitorRoutes } from './routes.ts'
import { monitorAdminRoutes } from './admin-routes.ts'
import { checkWindow, runDueChecks, stopChecks } from './checks.ts'
import { makeDue } from './service-status.ts'
import { applyRetention, rollUp } from './rollups.ts'
import { incidentEventTypes } from './incidents.ts'
import { webServiceType } from './web-service-type.ts'
import { kumaServiceType } from './uptime-kuma-service-type.ts'
import { widgetData } from './board.ts'
import { boardCache } from './board-cache.ts'
import { loadTrustedCas } from './trusted-cas.ts'
import { monitorMetrics } from './metrics.ts'
import { monitorSetupStep } from './setup-step.ts'
import { statusPageRoutes } from './status-page-routes.ts'
import { publicPages } from './status-pages.ts'

export default definePlugin({
  name: 'monitor',
  version: '1.0.0',
  api: '^1.13.0',
  description: 'Is everything up? Checks, uptime, response-time charts, incidents, Uptime Kuma import.',
  enabledByDefault: true,
  config: monitorConfig,
  migrations: new URL('./migrations', import.meta.url),
  views: new URL('./views', import.meta.url),
  tables: ['service_status', 'service_metrics', 'service_incidents', 'service_metrics_hourly', 'monitor_maintenance', 'monitor_status_pages'],
  register(rawCtx) {
    const ctx = rawCtx as MonitorContext
    loadTrustedCas(ctx)
    boardCache(ctx)
    publicPages(ctx)
    // Checks started by the schedule outlive its run: shutdown stops them and waits for their slots.
    ctx.onStop(() => stopChecks(ctx))
    return {
      routes: monitorRoutes(ctx),
      adminRoutes: monitorAdminRoutes(ctx),
      // Public status pages live at /status/<slug> (API 1.11 mounts).
      mounts: [{ at: 'status', router: statusPageRoutes(ctx) }],
      setupSteps: [monitorSetupStep(ctx)],
      nav: [{ label: 'Status', href: '/monitor', priority: 30 }],
      serviceTypes: [kumaServiceType(ctx), webServiceType(ctx)],
      eventTypes: incidentEventTypes((d, style) => ctx.http.formatDate(null, d, style)),
      metrics: monitorMetrics(ctx),
      widgets: [{
        id: 'status',
        title: 'Service status',
        async render() { return ctx.views.render('monitor:_widget', await widgetData(ctx.db)) },
      }],
      schedules: [
        {
          // Each run wakes at every due time for 4.5 s, so the next run (in this process or
          // another) takes over about when it ends; its checks run on in this process's queue.
          id: 'checks', every: '5s', scope: 'cluster', timeout: '30s',
          async run({ signal }) { await checkWindow(ctx, 4_500, signal) },
        },
        {
          id: 'rollups', every: '15m', timeout: '5m', scope: 'cluster',
          async run({ log }) {
            const now = ctx.clock.now()
            const hours = await rollUp(ctx.db, now)
            const removed = await applyRetention(ctx.db, now, parseDuration(ctx.config.rawRetention)!)
            if (hours || removed.raw || removed.hourly) log.info(`monitor: rolled up ${hours} service-hours; removed ${removed.raw} raw and ${removed.hourly} hourly rows`)
          },
        },
      ],
      on: [{
        event: 'core.service.updated',
        async handle(p: { serviceName?: string; action?: string }) {
          if (!p.serviceName || p.action === 'deleted') return
          // Checked within seconds: due at once, and this delivery runs it (once per cluster).
          await makeDue(ctx.db, p.serviceName, ctx.clock.now())
          await runDueChecks(ctx, ctx.clock.now(), { only: [p.serviceName] })
        },
      }],
    }
  },
})
