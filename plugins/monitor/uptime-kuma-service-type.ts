// The `uptime-kuma` service type: the address of an Uptime Kuma, the slug of its public
// status page, and (optionally, in the API key field, sealed by the core) an API key for
// /metrics. "Test connection" reads the page and says how many monitors it mirrors.
import { UpstreamError, type PluginContext, type ServiceType } from 'medianest/plugin-api'
import { KumaConfigError, readKuma } from './uptime-kuma-client.ts'
import { KUMA_TYPE } from './targets.ts'

export function kumaServiceType(ctx: Pick<PluginContext, 'upstream'>): ServiceType {
  return {
    name: KUMA_TYPE,
    label: 'Uptime Kuma',
    fields: [
      { name: 'slug', label: 'Status page slug', type: 'text', required: true, help: 'The last part of the status page address: /status/<slug>. Its public monitors are mirrored on the status board. Put an API key in the API key field to read response times from /metrics.' },
      { name: 'interval', label: 'Check interval', type: 'text', help: 'How often to read the page, like 60s (at least 5s). Empty: the monitor default.' },
      { name: 'severity', label: 'Incident severity', type: 'text', help: 'low, medium, high or critical (default medium).' },
    ],
    async test(service, signal) {
      const began = performance.now()
      const slug = typeof service.fields.slug === 'string' ? service.fields.slug.trim() : ''
      if (!slug) return { ok: false, message: 'Set the status page slug.' }
      try {
        const snap = await readKuma(ctx, service.serviceUrl, slug, service.apiKey, 10_000, signal)
        const metrics = service.apiKey ? (snap.metricsPing ? ' /metrics accepted the API key.' : ' /metrics refused the API key or failed.') : ''
        return { ok: true, message: `Status page "${snap.title}" lists ${snap.monitors.length} monitor(s).${metrics}`, responseTimeMs: Math.round(performance.now() - began) }
      } catch (error) {
        const message = error instanceof KumaConfigError || error instanceof UpstreamError ? error.message : (error as Error).message
        return { ok: false, message, responseTimeMs: Math.round(performance.now() - began) }
      }
    },
  }
}
