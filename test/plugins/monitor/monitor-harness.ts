// Shared by the monitor's tests: a MediaNest with monitor on and its scheduler stopped,
// so each test drives checks itself with a clock of its own (runDueChecks(ctx, now)).
import { startTestHost, type TestHost, type TestHostOptions } from '../../support/test-host.ts'
import { apiKeyAad } from '../../../core/services/configs.ts'
import { resetBreakers } from '../../../core/upstream.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'

export async function startMonitorHost(config: Record<string, unknown> = {}, options: TestHostOptions & { keepScheduler?: boolean } = {}) {
  const host = await startTestHost({ ...options, plugins: { monitor: { enabled: true, config }, ...options.plugins } })
  if (!options.keepScheduler) await host.app.scheduler.stop(5000)
  const ctx = host.app.host.plugins.find((p) => p.name === 'monitor')!.ctx as MonitorContext
  return { host, ctx }
}

/** A service row as Admin → Services leaves it (an "Other" service is a name and a URL). */
export async function addService(host: TestHost, name: string, url: string, options: { configData?: Record<string, unknown>; apiKey?: string | null; enabled?: boolean } = {}) {
  resetBreakers()
  await host.db('service_configs').where({ service_name: name }).del()
  await host.db('service_configs').insert({
    service_name: name, service_url: url,
    api_key: options.apiKey ? host.app.core.secrets.encrypt(options.apiKey, apiKeyAad(name)) : null,
    enabled: options.enabled ?? true, config_data: JSON.stringify(options.configData ?? {}), sealed_fields: JSON.stringify({}), updated_at: host.db.fn.now(),
  })
}

export async function clearMonitor(host: TestHost) {
  await host.db('service_configs').del()
  for (const t of ['service_status', 'service_metrics', 'service_incidents', 'service_metrics_hourly']) await host.db(t).del()
}

export const signedInAdmin = async (host: TestHost) => host.signedIn(await host.createUser({ role: 'ADMIN' }))

/** A clock for the checks: starts now, moves only when told. */
export function testClock(start = new Date()) {
  let t = start.getTime()
  return { now: () => new Date(t), advance: (ms: number) => { t += ms; return new Date(t) } }
}
