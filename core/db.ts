// knex on PGlite (embedded, no DATABASE_URL) or on a PostgreSQL server. Both go
// through knex's own `pg` client so results have one shape everywhere; what still
// differs (LISTEN, the data-folder lock) is hidden here.
import fs from 'node:fs'
import path from 'node:path'
import knexFactory, { type Knex } from 'knex'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import { createPgConfig } from '@electric-sql/pglite/node-postgres'
import type { Logger } from 'winston'

export interface Database {
  kind: 'pglite' | 'postgres'
  knex: Knex
  /** Calls onMessage for each NOTIFY on the channel; returns an unsubscribe function. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>
  notify(channel: string, payload: string): Promise<void>
  close(): Promise<void>
}

export interface OpenDatabaseOptions {
  databaseUrl?: string
  dataDir: string
  log: Logger
  /** An already open PGlite (tests); it is closed with the database. */
  pglite?: PGlite
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.log) : openPglite(options)
}

/** knex's own warnings go through our logger, not straight to stdout. */
function knexLog(log: Logger): Knex.Config['log'] {
  return {
    warn: (m: unknown) => log.warn(`database: ${String(m)}`),
    error: (m: unknown) => log.error(`database: ${String(m)}`),
    deprecate: (m: unknown) => log.debug(`database: ${String(m)}`),
    debug: (m: unknown) => log.debug(`database: ${String(m)}`),
  }
}

async function openPostgres(url: string, log: Logger): Promise<Database> {
  const knex = knexFactory({
    client: 'pg',
    log: knexLog(log),
    connection: { connectionString: url, application_name: 'medianest' },
    // min 0: a restarted server leaves no dead idle connections behind.
    pool: { min: 0, max: 10, acquireTimeoutMillis: 8000, idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: 8000,
  })
  try {
    await knex.raw('select 1')
  } catch (error) {
    await knex.destroy()
    const where = new URL(url)
    throw new Error(`Cannot reach the PostgreSQL server in DATABASE_URL (${where.hostname}:${where.port || 5432}, database ${where.pathname.slice(1) || 'postgres'}): ${(error as Error).message}`)
  }

  const listeners = new Map<string, Set<(payload: string) => void>>()
  let client: pg.Client | null = null
  let closing = false
  let connecting: Promise<pg.Client> | null = null

  // One listening connection per process, re-established after a server restart.
  const connect = (): Promise<pg.Client> => {
    connecting ??= (async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'medianest-listen' })
      c.on('error', (error) => {
        log.warn(`database listener connection lost: ${error.message}`)
        client = null
        connecting = null
        if (!closing) setTimeout(() => { if (!closing) connect().catch(() => undefined) }, 1000).unref()
      })
      c.on('notification', (msg) => {
        for (const fn of listeners.get(msg.channel) ?? []) fn(msg.payload ?? '')
      })
      await c.connect()
      for (const channel of listeners.keys()) await c.query(`LISTEN ${quoteIdent(channel)}`)
      client = c
      return c
    })().catch((error) => { connecting = null; throw error })
    return connecting
  }

  return {
    kind: 'postgres',
    knex,
    async listen(channel, onMessage) {
      let set = listeners.get(channel)
      const first = !set
      if (!set) listeners.set(channel, (set = new Set()))
      set.add(onMessage)
      const c = client ?? (await connect())
      if (first) await c.query(`LISTEN ${quoteIdent(channel)}`)
      return async () => {
        set.delete(onMessage)
        if (set.size === 0) {
          listeners.delete(channel)
          await client?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => undefined)
        }
      }
    },
    async notify(channel, payload) {
      await knex.raw('select pg_notify(?, ?)', [channel, payload])
    },
    async close() {
      closing = true
      await client?.end().catch(() => undefined)
      await knex.destroy()
    },
  }
}

async function openPglite(options: OpenDatabaseOptions): Promise<Database> {
  let pglite = options.pglite
  let releaseLock = () => {}
  if (!pglite) {
    const dir = path.resolve(options.dataDir)
    fs.mkdirSync(dir, { recursive: true })
    releaseLock = takeDataDirLock(dir)
    try {
      pglite = await PGlite.create(path.join(dir, 'pglite'))
    } catch (error) {
      releaseLock()
      throw error
    }
  }
  const db = pglite
  const knex = knexFactory({
    client: 'pg',
    log: knexLog(options.log),
    connection: () => createPgConfig(db) as unknown as Knex.PgConnectionConfig,
    // PGlite is one connection: a second would wait forever behind an open transaction.
    pool: { min: 1, max: 1, acquireTimeoutMillis: 30_000 },
  })
  return {
    kind: 'pglite',
    knex,
    async listen(channel, onMessage) {
      const unsubscribe = await db.listen(channel, onMessage)
      return async () => { await unsubscribe() }
    },
    async notify(channel, payload) {
      await knex.raw('select pg_notify(?, ?)', [channel, payload])
    },
    async close() {
      await knex.destroy()
      await db.close()
      releaseLock()
    },
  }
}

export class DataDirLockedError extends Error {}

/**
 * PGlite has no guard against a second process opening the same folder, and two
 * writers corrupt it. A lock file holding our pid; a lock whose process is gone is stale.
 */
function takeDataDirLock(dir: string): () => void {
  const lockFile = path.join(dir, 'medianest.lock')
  for (let tries = 0; tries < 2; tries++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 })
      return () => { try { fs.unlinkSync(lockFile) } catch { /* already gone */ } }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number(fs.readFileSync(lockFile, 'utf8').trim())
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new DataDirLockedError(
          `Another MediaNest process (pid ${holder}) is using the embedded database in ${dir}. ` +
          'The embedded database serves one process only; to run several instances, set DATABASE_URL to a PostgreSQL server.',
        )
      }
      fs.unlinkSync(lockFile)
    }
  }
  throw new DataDirLockedError(`Could not take the lock file ${lockFile}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** Counts come back as strings from pg (bigint); this is the one place that converts. */
export function toCount(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0)
}
