// `medianest seed demo`: a small, believable demo on a fresh install (seeds/demo.ts),
// then each enabled plugin's `seeds/demo.ts` in dependency order. The same boot path
// as the server: config, plugin host, database, migrations; then one transaction, so
// a failing plugin seed leaves no half-made demo behind.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { DEMO_ADMIN, demoPassword, seedDemo, type DemoReport } from '../../seeds/demo.ts'
import { hashPassword } from '../auth/passwords.ts'
import { durationMs } from '../config.ts'
import { toCount, type Database } from '../db.ts'
import { migrateLatest } from '../migrations.ts'
import type { SeedFunction } from '../plugin-api.ts'
import { createSecrets, loadKeyRing } from '../secrets.ts'
import { CONFIG_OPTION, HELP_OPTION, parseCommandArgs } from './arguments.ts'
import { CliError, UsageError } from './cli-error.ts'
import { checkEmail, checkPassword } from './create-admin.ts'
import { cliLogger, describeDatabase, loadCliConfig, preparePlugins, withDatabase } from './load.ts'
import type { CliIo } from './io.ts'
import { EVERY_CACHE, VIEWER_CACHE_CHANNEL } from '../viewer-cache.ts'

export const seedUsage = `Usage: medianest seed demo [--force] [--admin-email <address>] [--admin-password <text>]

Fills a fresh install with a small demo, so there is something to look at: an admin,
five people (one suspended), their sessions on several devices, four services (made-up
API keys, sealed like real ones) and a few error-log entries; then every enabled
plugin's demo data (its seeds/demo.ts), in dependency order. Migrations run first.

The admin is ${DEMO_ADMIN.email} with a random password printed once, unless you
give --admin-email and --admin-password. Demo sessions cannot be used to sign in.

A database that already has users is refused. With --force the demo is added next
to them: nothing is deleted or changed, and demo rows that exist (same email, same
service name) are kept, so running it again adds nothing twice.

On the embedded database, stop the server first: it holds the data folder.

Options:
  --force                    add the demo to a database that already has users
  --admin-email <address>    the demo admin's email (default ${DEMO_ADMIN.email})
  --admin-password <text>    its password (default: a random one, printed once)
  --config <file>            the config file (default: $MEDIANEST_CONFIG, then ./medianest.config.json)
  -h, --help                 this text`

export async function seedCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('seed', args, {
    ...CONFIG_OPTION, ...HELP_OPTION,
    force: { type: 'boolean' }, 'admin-email': { type: 'string' }, 'admin-password': { type: 'string' },
  })
  if (values.help) {
    io.out(seedUsage)
    return 0
  }
  const [set, ...extra] = positionals
  if (!set) throw new UsageError('seed: say which data to add: demo')
  if (set !== 'demo') throw new UsageError(`seed: unknown seed "${set}" (the one there is: demo)`)
  if (extra.length) throw new UsageError(`seed demo: unexpected argument "${extra[0]}"`)
  // Flags are checked before anything is opened.
  const adminEmail = values['admin-email'] !== undefined ? checkEmail(values['admin-email']) : DEMO_ADMIN.email
  if (values['admin-password'] !== undefined) await checkPassword(values['admin-password'], { email: adminEmail, name: DEMO_ADMIN.name })
  const generated = values['admin-password'] === undefined
  const password = values['admin-password'] ?? demoPassword()

  const config = loadCliConfig(io, values.config)
  const log = cliLogger(io)
  const host = await preparePlugins(config, log)
  return withDatabase(config, log, async (db) => {
    io.out(`Database: ${describeDatabase(config)}`)
    // Before the migrations, so a refusal really changes nothing.
    const before = await userCount(db)
    if (before > 0 && !values.force) {
      throw new CliError(`${describeDatabase(config)} already has ${before} user${before === 1 ? '' : 's'}; the demo is for a fresh install. Nothing was changed.`, 1,
        ['To add the demo next to them anyway (nothing is deleted or changed), run: medianest seed demo --force'])
    }
    const reports = await failing('migrating', () => migrateLatest(db, host.migrationSets()), 'No demo data was added.')
    for (const r of reports) if (r.applied.length) io.out(`${r.owner}: applied ${r.applied.length} migration${r.applied.length === 1 ? '' : 's'}`)

    const secrets = createSecrets(loadKeyRing({ secret: config.secret, dataDir: config.dataDir }))
    const passwordHash = await hashPassword(password)
    const seeded = await failing('seeding the demo', () => db.knex.transaction(async (trx) => {
      const report = await seedDemo(trx, {
        secrets,
        sessionPolicy: { idleMs: durationMs(config.sessions.idle), absoluteMs: durationMs(config.sessions.absolute) },
        admin: { email: adminEmail, name: values['admin-email'] === undefined ? DEMO_ADMIN.name : null, passwordHash },
      })
      const plugins: string[] = []
      for (const { plugin, dir } of host.seedFolders()) {
        const seed = await pluginSeed(plugin.name, dir)
        if (!seed) continue
        try {
          await seed({
            plugin: { name: plugin.name, version: plugin.version, dir: plugin.dir },
            config: plugin.config as Record<string, unknown>,
            db: trx,
            secrets,
            log: log.child({ plugin: plugin.name }),
            users: report.users,
          })
        } catch (error) {
          throw new CliError(`plugin "${plugin.name}": its demo seed failed: ${(error as Error).message}. Nothing was added.`)
        }
        plugins.push(plugin.name)
      }
      return { report, plugins }
    }), 'Nothing was added.')
    // A server already running on this database drops what it cached from before the seed.
    await db.notify(VIEWER_CACHE_CHANNEL, EVERY_CACHE).catch(() => undefined)
    printReport(io, seeded.report, seeded.plugins, before, { email: adminEmail, password: generated ? password : null })
    io.out(`Sign in at ${config.publicUrl ?? `http://<this server>:${config.port}`}/login`)
    return 0
  })
}

async function userCount(db: Database): Promise<number> {
  if (!(await db.knex.schema.hasTable('users'))) return 0
  const row = await db.knex('users').first(db.knex.raw('count(*)::int as n'))
  return toCount((row as { n: unknown } | undefined)?.n)
}

const SEED_FILES = ['demo.ts', 'demo.js', 'demo.mjs']

/** The plugin's seeds/demo.ts `seed` export; null when it has no demo seed. */
async function pluginSeed(name: string, dir: string): Promise<SeedFunction | null> {
  const file = SEED_FILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f))
  if (!file) return null
  let mod: { seed?: unknown }
  try {
    mod = (await import(pathToFileURL(file).href)) as { seed?: unknown }
  } catch (error) {
    throw new CliError(`plugin "${name}": ${file} could not be loaded: ${(error as Error).message}. Nothing was added.`)
  }
  if (typeof mod.seed !== 'function') throw new CliError(`plugin "${name}": ${file} must export "async function seed(ctx)". Nothing was added.`)
  return mod.seed as SeedFunction
}

function printReport(io: CliIo, report: DemoReport, plugins: string[], before: number, admin: { email: string; password: string | null }): void {
  const { added } = report
  io.out(before
    ? `The database had ${before} user${before === 1 ? '' : 's'}; --force added what was missing of the demo and deleted or changed nothing.`
    : 'Demo data added.')
  io.out(`  users       ${added.users} added`)
  io.out(`  sessions    ${added.sessions} added (on phones, tablets and computers; they cannot be used to sign in)`)
  io.out(`  services    ${added.services} added (made-up API keys, sealed)`)
  io.out(`  error log   ${added.errorLogs} entries added`)
  io.out(`  plugins     ${plugins.length ? `${plugins.join(', ')} (their seeds/demo.ts ran)` : 'no enabled plugin has demo data'}`)
  const { kept } = report
  const already = [
    kept.users.length && `users ${kept.users.join(', ')} (no sessions added for them)`,
    kept.services.length && `services ${kept.services.join(', ')}`,
    kept.errorLogs && 'the demo error-log entries',
  ].filter(Boolean)
  if (already.length) io.out(`  already there, left as they were: ${already.join('; ')}`)
  const adminUser = report.users[0]
  if (!adminUser.created) {
    io.out(`The admin ${admin.email} already existed: its password was not changed.`)
  } else if (admin.password) {
    io.out(`Admin: ${admin.email}`)
    io.out(`Password: ${admin.password}`)
    io.out('  (shown this once; only its hash is stored. Lost it? medianest create-admin --email ' + admin.email + ')')
  } else {
    io.out(`Admin: ${admin.email}, with the password you gave.`)
  }
}

/** A failing migration or seed is an operator's problem to read, not a stack trace. */
async function failing<T>(what: string, work: () => Promise<T>, outcome: string): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof CliError) throw error
    throw new CliError(`${what} failed: ${(error as Error).message}. ${outcome}`)
  }
}
