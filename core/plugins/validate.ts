// Everything about the enabled plugins is checked before anything is mounted, and
// every problem is reported at once: a half-configured boot is worse than none.
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import semver from 'semver'
import { durationMs, describeIssues } from '../config.ts'
import { NAV_PLACES, PLUGIN_API_VERSION, type Contributions, type Duration } from '../plugin-api.ts'
import type { DiscoveredPlugin } from './discover.ts'
import { EVENT_NAME, EVENT_PATTERN } from '../events.ts'
import { dependencyOrder } from './order.ts'
import { validateWebhooks } from '../webhooks/validate.ts'
import { redactSecrets } from './secret-config.ts'
import { validateServiceFields } from '../services/field-rules.ts'
import { SITE_PATH } from '../setup-guide.ts'
import { misnamedMigrations } from '../migrations.ts'

export const NAME_PATTERN = /^[a-z][a-z0-9-]{1,39}$/
export const RESERVED_NAMES = new Set([
  'admin', 'account', 'api', 'core', 'login', 'logout', 'setup', 'events', 'public', 'static',
  'healthz', 'readyz', 'assets', 'vendor', 'htmx', 'reset', 'dashboard', 'widgets',
  // /admin/<name> of these are the core's own admin pages.
  'users', 'services', 'errors', 'plugins',
  // The core's own top-level pages.
  'password', 'sessions', 'tokens', 'guide', 'metrics', 'favicon.ico', 'robots.txt',
])
export const MOUNT_PATTERN = /^[a-z][a-z0-9-]{1,39}$/
export const CORE_TABLES = new Set([
  'users', 'accounts', 'sessions', 'session_tokens', 'verification_tokens', 'rate_limits', 'error_logs',
  'service_configs', 'jobs', 'schedule_runs', 'live_events',
  'webhook_deliveries',
])

export function pathOf(location: URL | string | undefined): string | undefined {
  if (location === undefined) return undefined
  return location instanceof URL ? fileURLToPath(location) : location
}

export interface Validated {
  /** Enabled plugins in dependency order, with their parsed config slices. */
  ordered: Array<DiscoveredPlugin & { config: unknown }>
  problems: string[]
}

export function validatePlugins(discovered: DiscoveredPlugin[]): Validated {
  const problems: string[] = []
  const enabled = discovered.filter((p) => p.enabled)
  const allNames = new Set(discovered.map((p) => p.definition.name))
  const enabledNames = new Set(enabled.map((p) => p.definition.name))
  const configs = new Map<string, unknown>()
  const tableOwners = new Map<string, string>()

  for (const p of enabled) {
    const d = p.definition
    const at = `plugin "${d.name ?? p.key}"`
    if (typeof d.name !== 'string' || !NAME_PATTERN.test(d.name)) {
      problems.push(`${at}: the name must be 2-40 lower-case letters, digits or dashes, starting with a letter`)
    } else if (RESERVED_NAMES.has(d.name)) {
      problems.push(`${at}: "${d.name}" is reserved by the core; choose another name`)
    }
    if (d.name !== p.key) {
      problems.push(`${at}: its name must match its ${p.origin === 'first-party' ? 'folder' : 'config key'} "${p.key}"`)
    }
    if (!semver.valid(d.version)) problems.push(`${at}: version "${d.version}" is not a semantic version (e.g. 1.0.0)`)
    if (!semver.validRange(d.api)) {
      problems.push(`${at}: api "${d.api}" is not a version range (e.g. ^1.0.0)`)
    } else if (!semver.satisfies(PLUGIN_API_VERSION, d.api)) {
      problems.push(`${at}: written for plugin API ${d.api}, but this MediaNest provides ${PLUGIN_API_VERSION}`)
    }
    if (typeof d.register !== 'function') problems.push(`${at}: register(ctx) must be a function`)
    for (const dep of d.dependsOn ?? []) {
      if (!allNames.has(dep)) problems.push(`${at}: depends on "${dep}", which is not installed`)
      else if (!enabledNames.has(dep)) problems.push(`${at}: depends on "${dep}", which is disabled in the config`)
    }
    for (const [label, location] of [['migrations', d.migrations], ['views', d.views], ['seeds', d.seeds]] as const) {
      const dir = pathOf(location)
      if (dir && !fs.existsSync(dir)) problems.push(`${at}: its ${label} folder ${dir} does not exist`)
      else if (dir && label === 'migrations') {
        // A file the migrator would skip without a word: its table would never exist.
        for (const file of misnamedMigrations(dir)) {
          problems.push(`${at}: migrations/${file} is not named like a migration, so it would never run: 12 digits, an underscore, lower-case words (e.g. 202601010001_create_notes.ts)`)
        }
      }
    }
    for (const table of d.tables ?? []) {
      if (CORE_TABLES.has(table)) problems.push(`${at}: table "${table}" belongs to the core`)
      const owner = tableOwners.get(table)
      if (owner) problems.push(`${at}: table "${table}" is already owned by plugin "${owner}"`)
      else tableOwners.set(table, d.name)
    }
    if (d.lifecycleTimeout !== undefined) checkDuration(d.lifecycleTimeout, `${at}: lifecycleTimeout`, problems)
    const raw = p.entry?.config ?? {}
    if (d.config) {
      const result = d.config.safeParse(raw)
      if (result.success) configs.set(d.name, result.data)
      // A refused secret setting is named, never echoed.
      else problems.push(...describeIssues(result.error.issues, redactSecrets(d.config, raw), `plugins.${p.key}.config.`))
    } else {
      if (Object.keys(raw).length) problems.push(`plugins.${p.key}.config: this plugin takes no settings`)
      configs.set(d.name, {})
    }
  }

  const { order, cycles } = dependencyOrder(enabled.map((p) => ({ name: p.definition.name, dependsOn: p.definition.dependsOn ?? [] })))
  for (const cycle of cycles) problems.push(`dependency cycle: ${cycle.join(' -> ')}`)
  const byName = new Map(enabled.map((p) => [p.definition.name, p]))
  return {
    ordered: order.map((name) => ({ ...byName.get(name)!, config: configs.get(name) })),
    problems,
  }
}

/** A Duration (1.12: a string like '30s', or milliseconds) of more than nothing. */
function checkDuration(value: unknown, where: string, problems: string[]): void {
  let ms: number
  try {
    ms = durationMs(value as Duration)
  } catch {
    problems.push(`${where} "${String(value)}" is not a duration (use e.g. 30s, 10m, 6h, or a number of milliseconds)`)
    return
  }
  if (ms <= 0) problems.push(`${where} "${String(value)}" must be longer than nothing`)
}

/** What register() returned, checked for one plugin. */
export function validateContributions(name: string, c: Contributions): string[] {
  const problems: string[] = []
  const at = `plugin "${name}"`
  if (c === null || typeof c !== 'object') return [`${at}: register(ctx) must return an object`]
  const unique = (kind: string, ids: string[]) => {
    const seen = new Set<string>()
    for (const id of ids) {
      if (seen.has(id)) problems.push(`${at}: two ${kind} share the id "${id}"`)
      seen.add(id)
    }
  }
  const localId = /^[a-z][a-z0-9-]*$/
  for (const job of c.jobs ?? []) {
    if (!localId.test(job.name ?? '')) problems.push(`${at}: job name "${job.name}" must be lower-case letters, digits and dashes`)
    if (job.timeout === undefined || job.timeout === null || job.timeout === '') problems.push(`${at}: job "${job.name}" has no timeout`)
    else checkDuration(job.timeout, `${at}: job "${job.name}" timeout`, problems)
    if (typeof job.run !== 'function') problems.push(`${at}: job "${job.name}" has no run function`)
  }
  unique('jobs', (c.jobs ?? []).map((j) => j.name))
  for (const s of c.schedules ?? []) {
    if (!localId.test(s.id ?? '')) problems.push(`${at}: schedule id "${s.id}" must be lower-case letters, digits and dashes`)
    if (s.timeout === undefined || s.timeout === null || s.timeout === '') problems.push(`${at}: schedule "${s.id}" has no timeout`)
    else checkDuration(s.timeout, `${at}: schedule "${s.id}" timeout`, problems)
    if (s.every === undefined || s.every === null || s.every === '') problems.push(`${at}: schedule "${s.id}" has no interval (every)`)
    else checkDuration(s.every, `${at}: schedule "${s.id}" every`, problems)
    if (s.scope !== 'cluster' && s.scope !== 'instance') problems.push(`${at}: schedule "${s.id}" scope must be 'cluster' or 'instance'`)
  }
  unique('schedules', (c.schedules ?? []).map((s) => s.id))
  for (const w of c.widgets ?? []) {
    if (!localId.test(w.id ?? '')) problems.push(`${at}: widget id "${w.id}" must be lower-case letters, digits and dashes`)
    if (typeof w.render !== 'function') problems.push(`${at}: widget "${w.id}" has no render function`)
  }
  unique('widgets', (c.widgets ?? []).map((w) => w.id))
  for (const step of c.setupSteps ?? []) {
    const named = `${at}: setup step "${step.id}"`
    if (!localId.test(step.id ?? '')) problems.push(`${named}: the id must be lower-case letters, digits and dashes`)
    if (typeof step.title !== 'string' || !step.title.trim()) problems.push(`${named} has no title`)
    if (typeof step.why !== 'string' || !step.why.trim()) problems.push(`${named} does not say what it gives people (why)`)
    if (typeof step.href !== 'string' || !SITE_PATH.test(step.href)) problems.push(`${named}: href must be a path of this site, like /admin/${name}`)
    if (typeof step.state !== 'function') problems.push(`${named} has no state function`)
    if (step.priority !== undefined && !Number.isFinite(step.priority)) problems.push(`${named}: priority must be a number`)
  }
  unique('setup steps', (c.setupSteps ?? []).map((s) => s.id))
  for (const w of c.warnings ?? []) {
    if (!localId.test(w.id ?? '')) problems.push(`${at}: warning id "${w.id}" must be lower-case letters, digits and dashes`)
    if (typeof w.check !== 'function') problems.push(`${at}: warning "${w.id}" has no check function`)
  }
  unique('warnings', (c.warnings ?? []).map((w) => w.id))
  for (const m of c.metrics ?? []) {
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(m.name ?? '')) problems.push(`${at}: metric "${m.name}" must be lower-case letters, digits and underscores, starting with a letter`)
    if (typeof m.help !== 'string' || !m.help.trim()) problems.push(`${at}: metric "${m.name}" has no help text`)
    if (typeof m.collect !== 'function') problems.push(`${at}: metric "${m.name}" has no collect function`)
    for (const l of m.labels ?? []) if (!/^[a-z_][a-z0-9_]{0,62}$/.test(l)) problems.push(`${at}: metric "${m.name}": label "${l}" must be lower-case letters, digits and underscores`)
  }
  unique('metrics', (c.metrics ?? []).map((m) => m.name))
  for (const item of c.nav ?? []) {
    if (item.href !== `/${name}` && !item.href?.startsWith(`/${name}/`) && !item.href?.startsWith(`/admin/${name}`)) {
      problems.push(`${at}: nav link "${item.href}" is outside its prefix /${name}`)
    }
    if (item.id !== undefined && !localId.test(item.id)) problems.push(`${at}: nav id "${item.id}" must be lower-case letters, digits and dashes`)
    if (item.render !== undefined && typeof item.render !== 'function') problems.push(`${at}: nav entry "${item.label}" has a render that is not a function`)
    if (item.render !== undefined && item.id === undefined) problems.push(`${at}: nav entry "${item.label}" renders its own HTML, so it needs an id (its DOM id is <plugin>-nav-<id>)`)
    if (item.place !== undefined && !NAV_PLACES.includes(item.place)) problems.push(`${at}: nav entry "${item.label}" has place "${item.place}"; use one of ${NAV_PLACES.join(', ')}`)
    if (item.place === 'admin' && !item.href?.startsWith(`/admin/${name}`)) problems.push(`${at}: nav entry "${item.label}" is in the Admin menu, so its link goes under /admin/${name}`)
    if (item.priority !== undefined && !Number.isFinite(item.priority)) problems.push(`${at}: nav entry "${item.label}" has a priority that is not a number`)
  }
  unique('nav ids', (c.nav ?? []).flatMap((n) => (n.id === undefined ? [] : [n.id])))
  for (const h of c.on ?? []) {
    if (!EVENT_NAME.test(h.event ?? '') && !EVENT_PATTERN.test(h.event ?? '')) {
      problems.push(`${at}: handler for "${h.event}": use an event name '<plugin>.<noun>.<past-verb>', or a pattern such as 'my-plugin.*' or '*'`)
    }
    if (typeof h.handle !== 'function') problems.push(`${at}: handler for "${h.event}" has no handle function`)
  }
  for (const t of c.eventTypes ?? []) {
    const where = `${at}: event type "${t.event}"`
    if (!EVENT_NAME.test(t.event ?? '') || !t.event.startsWith(`${name}.`)) {
      problems.push(`${where} must be named '${name}.<noun>.<past-verb>' (its own prefix)`)
    }
    if (typeof t.title !== 'string' || !t.title.trim() || t.title.length > 100) problems.push(`${where} needs a title of 1-100 characters`)
    if (!['subject', 'admins', 'everyone'].includes(t.audience)) problems.push(`${where}: audience must be 'subject', 'admins' or 'everyone'`)
    if (typeof t.describe !== 'function') problems.push(`${where} has no describe(payload) function`)
  }
  unique('event types', (c.eventTypes ?? []).map((t) => t.event))
  for (const provider of c.identityProviders ?? []) {
    if (typeof provider !== 'string' || !/^[a-z][a-z0-9-]{1,39}$/.test(provider) || provider === 'password') {
      problems.push(`${at}: sign-in provider "${provider}" must be 2-40 lower-case letters, digits or dashes (and not "password")`)
    }
  }
  unique('sign-in providers', c.identityProviders ?? [])
  for (const p of c.provides ?? []) {
    if (!p.ref?.id?.startsWith(`${name}.`)) problems.push(`${at}: provided service "${p.ref?.id}" must be named "${name}.<something>"`)
  }
  unique('provided services', (c.provides ?? []).map((p) => p.ref.id))
  unique('service types', (c.serviceTypes ?? []).map((s) => s.name))
  unique('sign-in methods', (c.signInMethods ?? []).map((m) => m.id))
  for (const m of c.signInMethods ?? []) {
    if (!m.startPath?.startsWith(`/${name}/`)) problems.push(`${at}: sign-in method "${m.id}" must start under /${name}/`)
    if (m.setupPath !== undefined && !m.setupPath.startsWith(`/${name}/`)) problems.push(`${at}: sign-in method "${m.id}" setupPath must be under /${name}/`)
    if (m.available !== undefined && typeof m.available !== 'function') problems.push(`${at}: sign-in method "${m.id}" available must be a function`)
  }
  for (const r of c.rateLimits ?? []) {
    checkDuration(r.window, `${at}: rate limit "${r.id}" window`, problems)
    if (!Number.isInteger(r.limit) || r.limit < 1) problems.push(`${at}: rate limit "${r.id}" limit must be a whole number of at least 1`)
  }
  for (const m of c.mounts ?? []) {
    if (typeof m?.at !== 'string' || !MOUNT_PATTERN.test(m.at)) problems.push(`${at}: mount "${m?.at}" must be one path segment of 2-40 lower-case letters, digits or dashes (like "status")`)
    else if (RESERVED_NAMES.has(m.at)) problems.push(`${at}: mount "/${m.at}" is the core's; choose another path`)
    else if (m.at === name) problems.push(`${at}: mount "/${m.at}" is the plugin's own prefix already (use routes)`)
    if (typeof m?.router !== 'function') problems.push(`${at}: mount "${m?.at}" needs a router`)
  }
  unique('mounts', (c.mounts ?? []).map((m) => m?.at))
  problems.push(...validateWebhooks(name, c.webhooks), ...validateServiceFields(name, c.serviceTypes))
  return problems
}
