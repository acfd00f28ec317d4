// What a plugin's register() returned, in words, by kind: shown on /admin/plugins and
// by `medianest plugins`. Never a secret: a webhook shows how it is verified, not with what.
import type { Contributions } from '../plugin-api.ts'
import { durationText } from '../config.ts'

export interface ContributionKind { kind: string; items: string[] }

export function contributionsOf(name: string, c: Contributions): ContributionKind[] {
  const kinds: Array<[string, string[]]> = [
    ['Routes', [c.routes ? `/${name}` : null, c.adminRoutes ? `/admin/${name}` : null].filter((r): r is string => r !== null)],
    ['Navigation', (c.nav ?? []).map((n) => `${n.label} (${n.href})${n.role ? `, ${n.role} only` : ''}`)],
    ['Dashboard widgets', (c.widgets ?? []).map((w) => `${w.title} (${w.id})`)],
    ['Jobs', (c.jobs ?? []).map((j) => `${name}.${j.name} (timeout ${durationText(j.timeout)}${j.concurrency ? `, ${j.concurrency} at a time` : ''})`)],
    ['Schedules', (c.schedules ?? []).map((s) => `${s.id}: every ${durationText(s.every)}, ${s.scope}`)],
    ['Event handlers', (c.on ?? []).map((h) => h.event)],
    ['Event types', (c.eventTypes ?? []).map((t) => `${t.event} (audience: ${t.audience})`)],
    ['Webhooks', (c.webhooks ?? []).map((w) => `${w.id}: POST /${name}/hooks/${w.path} (${w.verify?.kind})`)],
    ['Service types', (c.serviceTypes ?? []).map((t) => `${t.label} (${t.name})`)],
    // Each service type's test() is the health check ctx.services.check and the monitor run.
    ['Health checks', (c.serviceTypes ?? []).map((t) => t.name)],
    ['Provides', (c.provides ?? []).map((p) => p.ref.id)],
    ['Sign-in methods', (c.signInMethods ?? []).map((m) => m.label)],
    ['Rate limits', (c.rateLimits ?? []).map((r) => `${r.method} ${r.path}: ${r.limit} per ${durationText(r.window)}`)],
  ]
  return kinds.filter(([, items]) => items.length > 0).map(([kind, items]) => ({ kind, items }))
}
