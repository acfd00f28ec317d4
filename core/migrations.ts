// Core first, then each plugin in dependency order, each in its own tracking table
// (knex names a migration by file name only: one shared table would silently skip a
// plugin's file that shares a name with another's). All under one lock, so two
// processes starting at once do not race.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Knex } from 'knex'
import type { Database } from './db.ts'
import { importPluginModule } from './plugins/plugin-import.ts'

export const CORE_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url))
/**
 * When this module runs compiled (build/core/migrations.js), the folder the build wrote:
 * a `.js` migration in it was compiled from a `.ts` one and is recorded under that name.
 */
const BUILD_DIR = import.meta.url.endsWith('.js') ? fileURLToPath(new URL('..', import.meta.url)) : null
const MIGRATION_FILE = /^\d{12}_[a-z0-9_]+\.(ts|js|mjs)$/

/** Module files in a migrations folder that do not match the name rule (the migrator skips them). */
export function misnamedMigrations(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => /\.(ts|js|mjs|mts)$/.test(f) && !f.endsWith('.d.ts') && !MIGRATION_FILE.test(f)).sort()
}
const LOCK_KEY = 7_349_117_021 // an arbitrary constant: "medianest migrations"

export interface MigrationSet {
  /** 'core' or a plugin name. */
  owner: string
  dir: string
}

export function trackingTable(owner: string): string {
  return owner === 'core' ? 'knex_migrations' : `knex_migrations__${owner.replace(/-/g, '_')}`
}

class FolderSource implements Knex.MigrationSource<string> {
  private readonly compiled: boolean
  constructor(private readonly dir: string) {
    const rel = BUILD_DIR === null ? '..' : path.relative(BUILD_DIR, dir)
    this.compiled = !rel.startsWith('..') && !path.isAbsolute(rel)
  }
  async getMigrations(): Promise<string[]> {
    if (!fs.existsSync(this.dir)) return []
    return fs.readdirSync(this.dir).filter((f) => MIGRATION_FILE.test(f) && !f.endsWith('.d.ts')).sort()
  }
  /**
   * The source file's name, as knex's own source records it, so the stock knex CLI
   * agrees with us: `x.ts` from the sources, and `x.ts` too for the `x.js` the build
   * compiled from it, so a database migrated by one path is up to date for the other.
   */
  getMigrationName(file: string): string {
    return this.compiled ? file.replace(/\.js$/, '.ts') : file
  }
  async getMigration(file: string): Promise<Knex.Migration> {
    // A community plugin's migrations load as its entry does (TypeScript under the compiled server).
    return importPluginModule(pathToFileURL(path.join(this.dir, file)).href) as Promise<Knex.Migration>
  }
}

function migratorConfig(set: MigrationSet): Knex.MigratorConfig {
  return { tableName: trackingTable(set.owner), migrationSource: new FolderSource(set.dir) }
}

export interface MigrationReport { owner: string; applied: string[] }

/** Brings every set up to date, in the order given. Returns what ran. */
export async function migrateLatest(db: Database, sets: MigrationSet[]): Promise<MigrationReport[]> {
  return withMigrationLock(db, async () => {
    const reports: MigrationReport[] = []
    for (const set of sets) {
      const [, applied] = (await db.knex.migrate.latest(migratorConfig(set))) as [number, string[]]
      reports.push({ owner: set.owner, applied })
    }
    return reports
  })
}

export async function migrateDown(db: Database, set: MigrationSet, all = false): Promise<string[]> {
  return withMigrationLock(db, async () => {
    const [, undone] = (await db.knex.migrate.rollback(migratorConfig(set), all)) as [number, string[]]
    return undone
  })
}

export async function migrateUp(db: Database, set: MigrationSet): Promise<string[]> {
  return withMigrationLock(db, async () => {
    const [, applied] = (await db.knex.migrate.up(migratorConfig(set))) as [number, string[]]
    return applied
  })
}

export interface MigrationStatus { owner: string; done: string[]; pending: string[] }

export async function migrationStatus(db: Database, set: MigrationSet): Promise<MigrationStatus> {
  // With a custom source, knex lists pending migrations as our own values (file names).
  const config = migratorConfig(set)
  const [done, pending] = (await db.knex.migrate.list(config)) as [Array<{ name: string }>, string[]]
  const source = config.migrationSource as FolderSource
  return { owner: set.owner, done: done.map((m) => m.name), pending: pending.map((file) => source.getMigrationName(file)) }
}

/** True when every set has nothing pending (for /readyz). */
export async function migrationsDone(db: Database, sets: MigrationSet[]): Promise<boolean> {
  for (const set of sets) {
    const status = await migrationStatus(db, set)
    if (status.pending.length) return false
  }
  return true
}

/**
 * PostgreSQL: a session advisory lock on a connection of its own, held while the
 * pool runs the migrations; a second process waits, then finds nothing to do.
 * PGlite: one process by construction (the data-folder lock), so no lock is needed.
 */
async function withMigrationLock<T>(db: Database, work: () => Promise<T>): Promise<T> {
  if (db.kind === 'pglite') return work()
  const connection = await db.knex.client.acquireConnection()
  try {
    await connection.query(`select pg_advisory_lock(${LOCK_KEY})`)
    try {
      return await work()
    } finally {
      await connection.query(`select pg_advisory_unlock(${LOCK_KEY})`)
    }
  } finally {
    await db.knex.client.releaseConnection(connection)
  }
}
