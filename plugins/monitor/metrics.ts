// The monitor's gauges for Prometheus (plugin API 1.10): per watched service, whether it is
// up, its last response time and its certificate's days left, read from the status rows
// each check keeps (one query per scrape, shared by the three gauges).
import type { PluginMetric } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import type { StatusRow } from './service-status.ts'

type Row = Pick<StatusRow, 'service_name' | 'source' | 'status' | 'response_time_ms' | 'cert_expires_at'>

export function monitorMetrics(ctx: MonitorContext): PluginMetric[] {
  // One read serves the three gauges of one scrape.
  let read: { at: number; rows: Promise<Row[]> } | null = null
  const rows = () => {
    const now = performance.now()
    if (!read || now - read.at > 1000) {
      // A query builder runs again at each await; the promise made from it runs it once.
      read = { at: now, rows: Promise.resolve(ctx.db<Row>('service_status').select('service_name', 'source', 'status', 'response_time_ms', 'cert_expires_at')) }
    }
    return read.rows
  }
  const labels = (r: Row) => ({ service: r.service_name, source: r.source })
  return [
    {
      name: 'up', labels: ['service', 'source'],
      help: 'Whether the service answered its last check: 1 up or slow, 0 down or pending (a failed check being retried). Absent before its first check, while unknown, in maintenance or paused.',
      async collect() { return (await rows()).filter((r) => r.status && !['unknown', 'maintenance', 'paused'].includes(r.status)).map((r) => ({ labels: labels(r), value: r.status === 'up' || r.status === 'degraded' ? 1 : 0 })) },
    },
    {
      name: 'response_time_ms', labels: ['service', 'source'],
      help: 'The last check\'s response time in milliseconds (absent when it did not answer).',
      async collect() { return (await rows()).filter((r) => r.response_time_ms !== null).map((r) => ({ labels: labels(r), value: r.response_time_ms! })) },
    },
    {
      name: 'certificate_days_left', labels: ['service', 'source'],
      help: 'Days until the TLS certificate the service presented expires (negative once it has).',
      async collect() {
        const now = ctx.clock.nowMs()
        return (await rows()).filter((r) => r.cert_expires_at).map((r) => ({ labels: labels(r), value: Math.floor((new Date(r.cert_expires_at!).getTime() - now) / 86_400_000) }))
      },
    },
  ]
}
