// /admin/plugins: every plugin found, enabled or not, what state it is in and what it
// contributes. Read-only: plugins are switched on and off in the config file.
import express, { type Router } from 'express'
import type { Contributions } from '../plugin-api.ts'
import type { PluginHost } from '../plugins/host.ts'
import type { AdminDeps } from './routes.ts'

export interface PluginSummary {
  name: string
  version: string
  description: string | null
  origin: 'first-party' | 'community'
  enabled: boolean
  state: string
  failure: string | null
  dependsOn: string[]
  /** What it adds, by kind; null when it was not loaded (so nothing is known). */
  contributes: Array<{ kind: string; items: string[] }> | null
}

function contributionsOf(name: string, c: Contributions): Array<{ kind: string; items: string[] }> {
  const kinds: Array<[string, string[]]> = [
    ['Routes', [c.routes ? `/${name}` : null, c.adminRoutes ? `/admin/${name}` : null].filter((r): r is string => r !== null)],
    ['Navigation', (c.nav ?? []).map((n) => `${n.label} (${n.href})${n.role ? `, ${n.role} only` : ''}`)],
    ['Dashboard widgets', (c.widgets ?? []).map((w) => `${w.title} (${w.id})`)],
    ['Jobs', (c.jobs ?? []).map((j) => `${name}.${j.name} (timeout ${j.timeout}${j.concurrency ? `, ${j.concurrency} at a time` : ''})`)],
    ['Schedules', (c.schedules ?? []).map((s) => `${s.id}: every ${s.every}, ${s.scope}`)],
    ['Event handlers', (c.on ?? []).map((h) => h.event)],
    ['Service types', (c.serviceTypes ?? []).map((t) => `${t.label} (${t.name})`)],
    ['Provides', (c.provides ?? []).map((p) => p.ref.id)],
    ['Sign-in methods', (c.signInMethods ?? []).map((m) => m.label)],
    ['Rate limits', (c.rateLimits ?? []).map((r) => `${r.method} ${r.path}: ${r.limit} per ${r.window}`)],
  ]
  return kinds.filter(([, items]) => items.length > 0).map(([kind, items]) => ({ kind, items }))
}

export function summarisePlugins(host: PluginHost): PluginSummary[] {
  return host.discovered.map((d) => {
    const loaded = host.plugins.find((p) => p.name === d.definition.name && p.dir === d.dir)
    return {
      name: d.definition.name,
      version: d.definition.version,
      description: d.definition.description ?? null,
      origin: d.origin,
      enabled: d.enabled,
      state: loaded ? loaded.state : 'not loaded',
      failure: loaded?.failure ?? null,
      dependsOn: d.definition.dependsOn ?? [],
      contributes: loaded && loaded.state !== 'loaded' ? contributionsOf(loaded.name, loaded.contributions) : null,
    }
  }).sort((a, b) => a.name.localeCompare(b.name))
}

export function pluginsPageRoutes(deps: AdminDeps): Router {
  const router = express.Router()
  router.get('/plugins', async (req, res) => {
    await deps.views.pageOrFragment(req, res, {
      page: 'admin/plugins', fragment: 'admin/plugins', title: 'Plugins',
      data: { plugins: summarisePlugins(deps.host) },
    })
  })
  return router
}
