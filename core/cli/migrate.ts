// `medianest migrate status | up [owner] | down <owner> [--all]`: the server's own
// migration sets (core first, then each enabled plugin in dependency order), each
// owner in its own tracking table.
import type { Database } from '../db.ts'
import { migrateDown, migrateLatest, migrateUp, migrationStatus, trackingTable, type MigrationSet } from '../migrations.ts'
import type { PluginHost } from '../plugins/host.ts'
import { pathOf } from '../plugins/validate.ts'
import { CONFIG_OPTION, HELP_OPTION, parseCommandArgs } from './arguments.ts'
import { CliError, UsageError } from './cli-error.ts'
import { cliLogger, describeDatabase, loadCliConfig, preparePlugins, withDatabase } from './load.ts'
import type { CliIo } from './io.ts'

export const migrateUsage = `Usage: medianest migrate <action> [options]

Actions:
  status [owner]        done and pending migrations of the core and each enabled plugin
  up                    apply every pending migration, core first, then each plugin in order
  up <owner>            apply the next pending migration of one owner only
  down <owner> [--all]  roll back the last batch of one owner (--all: every migration of it)

An owner is "core" or a plugin name. The server applies pending migrations itself
when it starts; these commands are for inspecting, stepping and rolling back.

Options:
  --config <file>  the config file (default: $MEDIANEST_CONFIG, then ./medianest.config.json)
  --all            with down: roll back every migration of that owner
  -h, --help       this text`

export async function migrateCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('migrate', args, {
    ...CONFIG_OPTION, ...HELP_OPTION, all: { type: 'boolean' },
  })
  if (values.help) {
    io.out(migrateUsage)
    return 0
  }
  const [action, owner, ...extra] = positionals
  if (!action) throw new UsageError('migrate: say what to do: status, up or down')
  if (!['status', 'up', 'down'].includes(action)) throw new UsageError(`migrate: unknown action "${action}" (use status, up or down)`)
  if (extra.length) throw new UsageError(`migrate ${action}: unexpected argument "${extra[0]}"`)
  if (values.all && action !== 'down') throw new UsageError('migrate: --all goes with down only')
  if (action === 'down' && !owner) {
    throw new UsageError('migrate down: name the owner to roll back, "core" or a plugin (e.g. medianest migrate down my-plugin)')
  }

  const config = loadCliConfig(io, values.config)
  const log = cliLogger(io)
  const host = await preparePlugins(config, log)
  const sets = host.migrationSets()

  const chosen = owner ? resolveOwner(host, sets, owner, action) : null

  return withDatabase(config, log, async (db) => {
    io.out(`Database: ${describeDatabase(config)}`)
    if (action === 'status') return status(io, db, chosen ? [chosen] : sets)
    if (action === 'up') return chosen ? upOne(io, db, host, sets, chosen) : upAll(io, db, sets)
    return down(io, db, chosen!, values.all ?? false)
  })
}

/** An enabled owner's set; a disabled plugin's set only for down (to drop its tables). */
function resolveOwner(host: PluginHost, sets: MigrationSet[], owner: string, action: string): MigrationSet {
  const set = sets.find((s) => s.owner === owner)
  if (set) return set
  const found = host.discovered.find((p) => p.key === owner)
  if (found) {
    const dir = pathOf(found.definition.migrations)
    if (!dir) throw new CliError(`plugin "${owner}" has no migrations`)
    if (found.enabled) throw new CliError(`plugin "${owner}" has no migration set`)
    if (action === 'down') return { owner, dir }
    throw new CliError(`plugin "${owner}" is disabled in the config; enable it (plugins.${owner}.enabled: true) to ${action === 'up' ? 'migrate it' : 'see its status'}`)
  }
  const known = sets.map((s) => s.owner).join(', ')
  throw new CliError(`there is no migration owner "${owner}" (owners: ${known}; plugins that are disabled can only be rolled back)`)
}

async function status(io: CliIo, db: Database, sets: MigrationSet[]): Promise<number> {
  for (const set of sets) {
    const s = await migrationStatus(db, set)
    io.out(`\n${s.owner} (${trackingTable(s.owner)}): ${s.done.length} done, ${s.pending.length} pending`)
    for (const name of s.done) io.out(`  done     ${name}`)
    for (const name of s.pending) io.out(`  pending  ${name}`)
  }
  return 0
}

async function upAll(io: CliIo, db: Database, sets: MigrationSet[]): Promise<number> {
  const reports = await failing('migrating', () => migrateLatest(db, sets))
  for (const r of reports) printNames(io, r.owner, 'applied', r.applied, 'already up to date')
  return 0
}

async function upOne(io: CliIo, db: Database, host: PluginHost, sets: MigrationSet[], set: MigrationSet): Promise<number> {
  // A plugin's migrations may reference the core's tables and its dependencies' ones.
  const needed = set.owner === 'core' ? [] : ['core', ...(host.plugins.find((p) => p.name === set.owner)?.definition.dependsOn ?? [])]
  for (const owner of needed) {
    const before = sets.find((s) => s.owner === owner)
    if (before && (await migrationStatus(db, before)).pending.length) {
      throw new CliError(`${owner} has pending migrations, and ${set.owner} comes after it; run "medianest migrate up ${owner}" (or "medianest migrate up") first`)
    }
  }
  const applied = await failing(`migrating ${set.owner}`, () => migrateUp(db, set))
  printNames(io, set.owner, 'applied', applied, 'already up to date')
  return 0
}

async function down(io: CliIo, db: Database, set: MigrationSet, all: boolean): Promise<number> {
  const undone = await failing(`rolling back ${set.owner}`, () => migrateDown(db, set, all), set.owner === 'core'
    ? 'Plugin tables may depend on the core\'s: roll back those plugins first (medianest migrate down <plugin>).'
    : undefined)
  printNames(io, set.owner, 'rolled back', undone, 'nothing to roll back')
  return 0
}

function printNames(io: CliIo, owner: string, verb: string, names: string[], none: string): void {
  if (!names.length) return io.out(`${owner}: ${none}`)
  io.out(`${owner}: ${verb} ${names.length} migration${names.length === 1 ? '' : 's'}`)
  for (const name of names) io.out(`  ${verb}  ${name}`)
}

/** A failing migration is an operator's problem to read, not a stack trace. */
async function failing<T>(what: string, work: () => Promise<T>, hint?: string): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof CliError) throw error
    throw new CliError(`${what} failed: ${(error as Error).message}`, 1, hint ? [hint] : [])
  }
}
