// `medianest plugins`: every plugin found, enabled or not, and what each one's
// definePlugin() declares. Reads definitions only: no database, no register(), no start().
import path from 'node:path'
import semver from 'semver'
import { z } from 'zod'
import { durationText, type Config } from '../config.ts'
import { PLUGIN_API_VERSION, PluginConfigError, type PluginDefinition } from '../plugin-api.ts'
import { discoverPlugins, type DiscoveredPlugin } from '../plugins/discover.ts'
import { PluginHost } from '../plugins/host.ts'
import { pathOf } from '../plugins/validate.ts'
import { contributionsOf, type ContributionKind } from '../plugins/contributions-summary.ts'
import { redactSecrets } from '../plugins/secret-config.ts'
import { registerForListing } from './plugin-contributions.ts'
import { CONFIG_OPTION, HELP_OPTION, parseCommandArgs } from './arguments.ts'
import { CliError, UsageError } from './cli-error.ts'
import { cliLogger, loadCliConfig } from './load.ts'
import { pluginCheckCommand } from './plugin-check.ts'
import { pluginNewCommand } from './plugin-new.ts'
import type { CliIo } from './io.ts'

export const pluginsUsage = `Usage: medianest plugins [--json]
       medianest plugins new <name> [--dir <folder>]
       medianest plugins check <folder>

Lists every plugin found (first-party ones in plugins/, community ones named by a
"source" in the config), enabled or not: version, origin, plugin API range,
dependencies, tables, settings; for enabled ones also the effective settings (secret
ones redacted), what each contributes (routes, webhooks, event types, health
checks…) and the load order. Needs no database.

\`plugins new <name>\` makes a working plugin in <folder>/<name> (default: here): a page
with a form, a widget, a migration, a job, a declared event, a test and a README.

\`plugins check <folder>\` checks a plugin anywhere on disk: its imports stay within the
published contract, and it passes the conformance suite.

Options:
  --json           one JSON document instead of text
  --dir <folder>   plugins new: where the plugin's folder goes (default: here)
  --config <file>  the config file (default: $MEDIANEST_CONFIG, then ./medianest.config.json)
  -h, --help       this text`

export interface PluginListing {
  name: string
  key: string
  version: string
  description: string | null
  origin: DiscoveredPlugin['origin']
  /** A community plugin installed from npm: its package name (config "source"). */
  packageName: string | null
  enabled: boolean
  dir: string
  api: string
  apiCompatible: boolean
  dependsOn: string[]
  tables: string[]
  /** Setting names with their declared defaults (from the config schema). */
  settings: Record<string, unknown>
  migrations: string | null
  views: string | null
  seeds: string | null
  lifecycleTimeout: string
  /** Enabled plugins only: the validated settings (secret ones redacted) and start-failure policy. */
  config?: unknown
  /** Enabled plugins only: what register() contributes (webhooks, event types, health checks…). */
  contributes?: ContributionKind[]
  onStartFailure?: 'abort' | 'disable'
  loadPosition?: number
}

export async function pluginsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('plugins', args, { ...CONFIG_OPTION, ...HELP_OPTION, json: { type: 'boolean' }, dir: { type: 'string' } })
  if (values.help) {
    io.out(pluginsUsage)
    return 0
  }
  if (positionals[0] === 'new') {
    if (positionals.length > 2) throw new UsageError(`plugins new: unexpected argument "${positionals[2]}"`)
    return pluginNewCommand(positionals[1], values.dir, io)
  }
  if (positionals[0] === 'check') {
    if (positionals.length > 2) throw new UsageError(`plugins check: unexpected argument "${positionals[2]}"`)
    return pluginCheckCommand(positionals[1], io)
  }
  if (positionals.length) throw new UsageError(`plugins: unexpected argument "${positionals[0]}"`)
  const config = loadCliConfig(io, values.config)

  let listings: PluginListing[]
  let problems: string[] = []
  try {
    const host = await PluginHost.prepare(config, cliLogger(io))
    listings = host.discovered.map((p) => listing(p))
    host.plugins.forEach((loaded, index) => {
      const entry = listings.find((l) => l.key === loaded.name)
      if (!entry) return
      entry.config = redactSecrets(loaded.definition.config, loaded.config)
      entry.onStartFailure = loaded.onStartFailure
      entry.loadPosition = index + 1
    })
    registerForListing(host, config, cliLogger(io))
    for (const loaded of host.plugins) {
      const entry = listings.find((l) => l.key === loaded.name)
      if (entry) entry.contributes = contributionsOf(loaded.name, loaded.contributions)
    }
  } catch (error) {
    if (!(error instanceof PluginConfigError)) throw error
    // Still list what was found, so the problems can be read next to it.
    problems = error.problems
    listings = (await discoverPlugins(config)).plugins.map((p) => listing(p))
  }

  if (values.json) {
    io.out(JSON.stringify({ pluginApi: PLUGIN_API_VERSION, plugins: listings, problems }, null, 2))
  } else {
    printListings(io, listings, config)
  }
  if (problems.length) throw new CliError('the plugin configuration has problems:', 1, problems)
  return 0
}

function listing(p: DiscoveredPlugin): PluginListing {
  const d = p.definition
  return {
    name: d.name,
    key: p.key,
    version: d.version,
    description: d.description ?? null,
    origin: p.origin,
    packageName: p.entry?.source && !p.entry.source.startsWith('.') && !path.isAbsolute(p.entry.source) ? p.entry.source : null,
    enabled: p.enabled,
    dir: p.dir,
    api: d.api,
    apiCompatible: Boolean(semver.validRange(d.api) && semver.satisfies(PLUGIN_API_VERSION, d.api)),
    dependsOn: d.dependsOn ?? [],
    tables: d.tables ?? [],
    settings: declaredSettings(d),
    migrations: pathOf(d.migrations) ?? null,
    views: pathOf(d.views) ?? null,
    seeds: pathOf(d.seeds) ?? null,
    lifecycleTimeout: durationText(d.lifecycleTimeout ?? '30s'),
  }
}

/** { greeting: "Hello" }: each setting the schema declares, with its default (or null). */
function declaredSettings(d: PluginDefinition): Record<string, unknown> {
  if (!d.config) return {}
  try {
    const schema = z.toJSONSchema(d.config, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { default?: unknown }> }
    const defaults = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, s]) => [key, s.default ?? null]))
    return redactSecrets(d.config, defaults) as Record<string, unknown>
  } catch {
    return {}
  }
}

function printListings(io: CliIo, listings: PluginListing[], config: Config): void {
  const enabled = listings.filter((l) => l.enabled)
  io.out(`Plugin API ${PLUGIN_API_VERSION}. ${listings.length} plugin${listings.length === 1 ? '' : 's'} found, ${enabled.length} enabled` +
    `${config.configFile ? ` (config: ${config.configFile})` : ' (no config file: defaults)'}.`)
  const shown = (dir: string | null) => {
    if (!dir) return 'none'
    const relative = path.relative(io.cwd, dir)
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir
  }
  for (const l of listings) {
    io.out(`\n${l.name} ${l.version}  ${l.enabled ? 'enabled' : 'disabled'}, ${l.origin}${l.packageName ? `, from the npm package ${l.packageName}` : ''}`)
    if (l.description) io.out(`  ${l.description}`)
    const rows: Array<[string, string]> = [
      ['folder', shown(l.dir)],
      ['api', `${l.api} ${l.apiCompatible ? '(compatible)' : `(NOT compatible with ${PLUGIN_API_VERSION})`}`],
      ['depends on', l.dependsOn.join(', ') || 'nothing'],
      ['tables', l.tables.join(', ') || 'none'],
      ['settings', Object.keys(l.settings).length ? Object.entries(l.settings).map(([k, v]) => `${k} (default ${JSON.stringify(v)})`).join(', ') : 'none'],
    ]
    if (l.loadPosition !== undefined) {
      rows.push(
        ['config', JSON.stringify(l.config)],
        ['on failure', `${l.onStartFailure} (if start() fails)`],
        ['migrations', shown(l.migrations)],
        ['views', shown(l.views)],
        ['seeds', shown(l.seeds)],
        ['timeout', `${l.lifecycleTimeout} for start() and stop()`],
      )
    }
    for (const c of l.contributes ?? []) rows.push([c.kind.toLowerCase(), c.items.join('; ')])
    for (const [label, value] of rows) io.out(`  ${label.padEnd(17)} ${value}`)
  }
  const order = listings.filter((l) => l.loadPosition !== undefined).sort((a, b) => a.loadPosition! - b.loadPosition!)
  io.out(`\nLoad order: ${order.map((l) => l.name).join(' -> ') || 'no plugin is enabled'}`)
}
