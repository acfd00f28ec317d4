// A fresh database for one test file (or one test): PGlite in memory, or a new
// database on the PostgreSQL server named by TEST_DATABASE_URL.
//
// Given the migration sets a host will run, the database comes already migrated, from
// a template made once per set of sets: on PGlite a dump loaded into the new instance
// (one template per worker process), on PostgreSQL `CREATE DATABASE … TEMPLATE` (one
// template per test run, shared by every worker, dropped by the run at its end). A
// host then finds nothing to migrate; migrating from scratch for every host was a
// third of its boot.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import { openDatabase } from '../../core/db.ts'
import { createLogger } from '../../core/log.ts'
import { migrateLatest, type MigrationSet } from '../../core/migrations.ts'

export const onPostgres = Boolean(process.env.TEST_DATABASE_URL)

/**
 * `npm test` names each run (scripts/run-tests.js) and drops the server templates named
 * after it at the end; without a run name (mocha called directly) there are no server
 * templates, so none is left behind.
 */
const testRun = process.env.MEDIANEST_TEST_RUN

export interface TestDatabase {
  /** Set on PostgreSQL: the URL of this test's own database. */
  databaseUrl?: string
  /** Set on PGlite: an open in-memory instance, left open by the databases that use it. */
  pglite?: PGlite
  /** Drops the database: the PostgreSQL one, or the PGlite instance (emptied for the next test, or closed). */
  drop(): Promise<void>
}

export interface FreshDatabaseOptions {
  /** Comes with these migrations applied (what the host will find done). */
  migrated?: MigrationSet[]
}

const quiet = createLogger('error', false, true)
const pgliteDumps = new Map<string, Promise<Blob>>()
/**
 * Dumps outlive the process: the first worker of a run makes them (initdb alone is
 * seconds of CPU), the others and later runs load them. Named by what made them: the
 * PGlite version and every migration file's name, size and time.
 */
const DUMP_CACHE = fileURLToPath(new URL('../../node_modules/.cache/medianest/pglite-dumps/', import.meta.url))
const PGLITE_VERSION = (JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)), 'utf8')) as { version: string }).version

function dumpName(sets: MigrationSet[]): string {
  const files = sets.map((set) => [set.owner, set.dir, ...(fs.existsSync(set.dir) ? fs.readdirSync(set.dir).sort().map((f) => {
    const stat = fs.statSync(path.join(set.dir, f))
    return `${f}:${stat.size}:${stat.mtimeMs}`
  }) : [])])
  return crypto.createHash('sha256').update(JSON.stringify([PGLITE_VERSION, files])).digest('hex').slice(0, 24)
}

/** Creating a PGlite cluster takes seconds; loading a dump of one, a fraction. */
function pgliteDump(sets: MigrationSet[]): Promise<Blob> {
  const key = JSON.stringify(sets)
  let dump = pgliteDumps.get(key)
  if (!dump) {
    dump = (async () => {
      const file = path.join(DUMP_CACHE, `${dumpName(sets)}.tar`)
      if (fs.existsSync(file) && fs.existsSync(`${file}.schema`)) {
        schemas.set(key, fs.readFileSync(`${file}.schema`, 'utf8'))
        return new Blob([fs.readFileSync(file)])
      }
      const pglite = sets.length ? new PGlite('memory://', { loadDataDir: await pgliteDump([]) }) : new PGlite('memory://')
      await pglite.waitReady
      const db = await openDatabase({ pglite, dataDir: '/nonexistent', log: quiet })
      let made: Blob
      let schema: string
      try {
        await migrateLatest(db, sets)
        schema = await schemaOf(pglite)
        made = await pglite.dumpDataDir('none')
      } finally {
        await db.close()
        await pglite.close()
      }
      schemas.set(key, schema)
      // Written under a temporary name, then renamed: a worker never reads half a dump.
      fs.mkdirSync(DUMP_CACHE, { recursive: true })
      const temporary = `${file}.${process.pid}`
      fs.writeFileSync(`${temporary}.schema`, schema)
      fs.writeFileSync(temporary, Buffer.from(await made.arrayBuffer()))
      fs.renameSync(`${temporary}.schema`, `${file}.schema`)
      fs.renameSync(temporary, file)
      return made
    })()
    pgliteDumps.set(key, dump)
    dump.catch(() => pgliteDumps.delete(key))
  }
  return dump
}

/**
 * A server's embedded data folder (`DATA_DIR`) as the first start leaves it, before any
 * migration: what initdb makes, loaded from the dump instead of made again (seconds of
 * CPU each time). For tests of commands run on an install, not of the first start itself.
 */
export async function initializedDataDir(dataDir: string): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true })
  const pglite = new PGlite(path.join(dataDir, 'pglite'), { loadDataDir: await pgliteDump([]) })
  await pglite.waitReady
  await pglite.close()
}

// Loading a dump still costs about a second of CPU, most of a host's boot: so an instance
// a test is done with is emptied and kept for the next test that wants the same schema.
// Emptied means as the template left it: no rows but the migration records (no migration
// of ours inserts any), identities restarted, the session reset. An instance whose
// schema a test changed (a rollback, a table of its own) is closed instead.
const schemas = new Map<string, string>()
const idle: Array<{ key: string; pglite: PGlite }> = []
/** Each idle instance holds its own memory (100 MB and more): a few per worker. */
const MAX_IDLE = 3

/** The public schema's tables, columns and indexes, as one string to compare. */
async function schemaOf(pglite: PGlite): Promise<string> {
  const { rows } = await pglite.query<{ shape: string }>(`
    select string_agg(c.relname || ':' || c.relkind::text || ':' || coalesce(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ''), ',' order by c.relname, a.attnum) as shape
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')`)
  return rows[0]?.shape ?? ''
}

async function takePglite(key: string, sets: MigrationSet[]): Promise<PGlite> {
  const i = idle.findIndex((e) => e.key === key)
  if (i >= 0) return idle.splice(i, 1)[0].pglite
  const pglite = new PGlite('memory://', { loadDataDir: await pgliteDump(sets) })
  await pglite.waitReady
  return pglite
}

async function releasePglite(key: string, pglite: PGlite): Promise<void> {
  if (pglite.closed) return
  try {
    // Whatever the last user left behind: an open transaction, LISTENs, settings, locks.
    await pglite.exec('rollback')
    await pglite.exec('discard all')
    if (!schemas.has(key) || (await schemaOf(pglite)) !== schemas.get(key)) throw new Error('the schema changed')
    const { rows } = await pglite.query<{ name: string }>(`
      select format('%I', c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relname not like 'knex\_migrations%'`)
    if (rows.length) await pglite.exec(`truncate ${rows.map((r) => r.name).join(', ')} restart identity cascade`)
  } catch {
    await pglite.close().catch(() => undefined)
    return
  }
  idle.push({ key, pglite })
  while (idle.length > MAX_IDLE) await idle.shift()!.pglite.close().catch(() => undefined)
}

/** Closes the kept instances: they hold the event loop open, so a serial run (not the runner's worker processes, which are ended for it) would never exit. */
export async function closeIdleDatabases(): Promise<void> {
  for (const { pglite } of idle.splice(0)) await pglite.close().catch(() => undefined)
}

/**
 * What each test database's name starts with on the server TEST_DATABASE_URL names:
 * TEST_DATABASE_PREFIX (lower-case letters, digits and underscores, at most 30), or mn_t_.
 * A plugin's own suite can use its own, to tell (and drop) its leftovers on a shared server.
 */
export function databasePrefix(): string {
  const prefix = process.env.TEST_DATABASE_PREFIX ?? 'mn_t_'
  if (!/^[a-z_][a-z0-9_]{0,29}$/.test(prefix)) {
    throw new Error(`TEST_DATABASE_PREFIX "${prefix.slice(0, 40)}" is not usable in a database name: lower-case letters, digits and underscores, at most 30, not starting with a digit`)
  }
  return prefix
}

export async function freshDatabase(options: FreshDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL
  const sets = options.migrated ?? []
  if (!serverUrl) {
    const key = JSON.stringify(sets)
    const pglite = await takePglite(key, sets)
    let dropped = false
    return {
      pglite,
      async drop() {
        if (dropped) return
        dropped = true
        await releasePglite(key, pglite)
      },
    }
  }
  const template = sets.length && testRun ? await serverTemplate(serverUrl, testRun, sets) : null
  const name = `${databasePrefix()}${crypto.randomBytes(6).toString('hex')}`
  await adminQuery(serverUrl, `create database ${name}${template ? ` template ${template}` : ''}`)
  return {
    databaseUrl: databaseUrl(serverUrl, name),
    async drop() {
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`)
    },
  }
}

const serverTemplates = new Map<string, Promise<string>>()

/** One migrated template per run and set of sets; workers racing to make it take turns on a lock. */
function serverTemplate(serverUrl: string, run: string, sets: MigrationSet[]): Promise<string> {
  const hash = crypto.createHash('sha256').update(JSON.stringify(sets)).digest('hex')
  const name = `mn_tpl_${run}_${hash.slice(0, 12)}`
  let made = serverTemplates.get(name)
  if (!made) {
    made = withAdmin(serverUrl, async (admin) => {
      const lock = Number.parseInt(hash.slice(0, 12), 16)
      await admin.query('select pg_advisory_lock($1)', [lock])
      try {
        const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name])
        if (rowCount) return name
        // Built under a scratch name and renamed when whole, so no worker ever copies half a template.
        const scratch = `${name}_wip`
        await admin.query(`drop database if exists ${scratch} with (force)`)
        await admin.query(`create database ${scratch}`)
        const db = await openDatabase({ databaseUrl: databaseUrl(serverUrl, scratch), dataDir: '/nonexistent', log: quiet })
        try {
          await migrateLatest(db, sets)
        } finally {
          await db.close()
        }
        await admin.query(`alter database ${scratch} rename to ${name}`)
        return name
      } finally {
        await admin.query('select pg_advisory_unlock($1)', [lock])
      }
    })
    serverTemplates.set(name, made)
    made.catch(() => serverTemplates.delete(name))
  }
  return made
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

async function withAdmin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  await withAdmin(serverUrl, async (client) => { await client.query(sql) })
}
