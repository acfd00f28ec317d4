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
  /** Set on PGlite: an open in-memory instance (closed by the database that adopts it). */
  pglite?: PGlite
  /** Drops the database (PostgreSQL); PGlite instances are closed by their owner. */
  drop(): Promise<void>
}

export interface FreshDatabaseOptions {
  /** Comes with these migrations applied (what the host will find done). */
  migrated?: MigrationSet[]
}

const quiet = createLogger('error', false, true)
const pgliteDumps = new Map<string, Promise<Blob | File>>()

/** Creating a PGlite cluster takes seconds; loading a dump of one, a fraction. */
function pgliteDump(sets: MigrationSet[]): Promise<Blob | File> {
  const key = JSON.stringify(sets)
  let dump = pgliteDumps.get(key)
  if (!dump) {
    dump = (async () => {
      const pglite = sets.length ? new PGlite('memory://', { loadDataDir: await pgliteDump([]) }) : new PGlite('memory://')
      await pglite.waitReady
      if (!sets.length) {
        const empty = await pglite.dumpDataDir('none')
        await pglite.close()
        return empty
      }
      const db = await openDatabase({ pglite, dataDir: '/nonexistent', log: quiet })
      try {
        await migrateLatest(db, sets)
        return await pglite.dumpDataDir('none')
      } finally {
        await db.close()
      }
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

export async function freshDatabase(options: FreshDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL
  const sets = options.migrated ?? []
  if (!serverUrl) {
    const pglite = new PGlite('memory://', { loadDataDir: await pgliteDump(sets) })
    await pglite.waitReady
    return { pglite, async drop() {} }
  }
  const template = sets.length && testRun ? await serverTemplate(serverUrl, testRun, sets) : null
  const name = `mn_t_${crypto.randomBytes(6).toString('hex')}`
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
