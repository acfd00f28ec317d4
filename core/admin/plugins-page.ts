// /admin/plugins: every plugin found, enabled or not, what state it is in and what it
// contributes. Read-only: plugins are switched on and off in the config file.
import express, { type Router } from 'express'
import type { PluginHost } from '../plugins/host.ts'
import { contributionsOf } from '../plugins/contributions-summary.ts'
import { redactSecrets } from '../plugins/secret-config.ts'
import type { AdminDeps } from './deps.ts'

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
  /** The effective settings as JSON, secret keys redacted; null when not loaded. */
  settings: string | null
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
      settings: loaded ? JSON.stringify(redactSecrets(d.definition.config, loaded.config)) : null,
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
