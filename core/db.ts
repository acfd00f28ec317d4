// knex on PGlite (embedded, no DATABASE_URL) or on a PostgreSQL server. Both go
// through knex's own `pg` client so results have one shape everywhere; what still
// differs (LISTEN, the data-folder lock) is hidden here.
import { AsyncLocalStorage } from 'node:async_hooks'
import fs from 'node:fs'
import path from 'node:path'
import knexFactory, { type Knex } from 'knex'
import pg from 'pg'
import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from 'winston'

export interface Database {
  kind: 'pglite' | 'postgres'
  knex: Knex
  /** Calls onMessage for each NOTIFY on the channel; returns an unsubscribe function. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>
  notify(channel: string, payload: string): Promise<void>
  /** False while the listening connection is down: notices sent meanwhile are lost. */
  listening(): boolean
  /**
   * Calls fn each time the listening connection comes back after a loss, once every
   * channel is listened to again: whoever relies on notices catches up on what it
   * missed. Returns an unsubscribe function.
   */
  onReconnect(fn: () => void): () => void
  close(): Promise<void>
}

export interface OpenDatabaseOptions {
  databaseUrl?: string
  dataDir: string
  log: Logger
  /** An already open PGlite (tests): whoever opened it closes it; close() leaves it open. */
  pglite?: PGlite
  /** How the PostgreSQL listener waits between reconnect attempts (tests shorten it). */
  reconnect?: ReconnectBackoff
}

export interface ReconnectBackoff { firstDelayMs: number; maxDelayMs: number }
const RECONNECT: ReconnectBackoff = { firstDelayMs: 500, maxDelayMs: 30_000 }

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.log, options.reconnect ?? RECONNECT)
    : openPglite(options)
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

async function openPostgres(url: string, log: Logger, backoff: ReconnectBackoff): Promise<Database> {
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
  const listener = new Listener(url, log, backoff, listeners)
  return {
    kind: 'postgres',
    knex,
    async listen(channel, onMessage) {
      let set = listeners.get(channel)
      const first = !set
      if (!set) listeners.set(channel, (set = new Set()))
      set.add(onMessage)
      // The first LISTEN opens the connection; a failure then is a boot error, said at once.
      if (first) await listener.listenTo(channel)
      return async () => {
        set.delete(onMessage)
        if (set.size === 0 && listeners.get(channel) === set) {
          listeners.delete(channel)
          await listener.unlistenFrom(channel)
        }
      }
    },
    async notify(channel, payload) {
      await knex.raw('select pg_notify(?, ?)', [channel, payload])
    },
    listening: () => listener.up(),
    onReconnect: (fn) => listener.onReconnect(fn),
    async close() {
      await listener.close()
      await destroyPool(knex)
    },
  }
}

/**
 * The one LISTEN connection of a PostgreSQL process. Guarantees: once it has been up,
 * it never gives up — after any loss (server restart, pg_terminate_backend, network)
 * it reconnects forever, waiting firstDelayMs doubling to maxDelayMs with jitter (so a
 * fleet does not reconnect in lockstep), until close(). Each reconnect LISTENs every
 * channel again before it counts as up, then tells onReconnect subscribers, because
 * the notices sent while it was down are gone. up() is false from the moment a loss
 * is seen until then.
 */
class Listener {
  private client: pg.Client | null = null
  private connecting: Promise<pg.Client> | null = null
  private retry: NodeJS.Timeout | null = null
  private attempt = 0
  private everUp = false
  private closing = false
  private readonly reconnected = new Set<() => void>()

  constructor(
    private readonly url: string,
    private readonly log: Logger,
    private readonly backoff: ReconnectBackoff,
    private readonly listeners: Map<string, Set<(payload: string) => void>>,
  ) {}

  up(): boolean {
    return this.client !== null
  }

  onReconnect(fn: () => void): () => void {
    this.reconnected.add(fn)
    return () => { this.reconnected.delete(fn) }
  }

  async listenTo(channel: string): Promise<void> {
    if (this.client) {
      await this.client.query(`LISTEN ${quoteIdent(channel)}`)
      return
    }
    // Down after having been up: the reconnect LISTENs every channel in the map.
    if (this.everUp) return
    await this.connect()
  }

  async unlistenFrom(channel: string): Promise<void> {
    await this.client?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => undefined)
  }

  async close(): Promise<void> {
    this.closing = true
    if (this.retry) clearTimeout(this.retry)
    this.retry = null
    // A connect still under way sees `closing` when it finishes and ends its own client.
    const c = this.client
    this.client = null
    await c?.end().catch(() => undefined)
  }

  private connect(): Promise<pg.Client> {
    this.connecting ??= (async () => {
      const c = new pg.Client({
        connectionString: this.url,
        application_name: 'medianest-listen',
        // A server that does not answer must not stall the retries; keepalive notices a silent loss.
        connectionTimeoutMillis: 10_000,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      })
      // pg emits 'error' and then 'end' for one loss; lost() counts it once.
      c.on('error', (error) => this.lost(c, error.message))
      c.on('end', () => this.lost(c, 'the server closed the connection'))
      c.on('notification', (msg) => {
        for (const fn of this.listeners.get(msg.channel) ?? []) fn(msg.payload ?? '')
      })
      try {
        await c.connect()
        // Channels added while this runs are visited too: a Map iterator sees new keys.
        for (const channel of this.listeners.keys()) await c.query(`LISTEN ${quoteIdent(channel)}`)
      } catch (error) {
        c.removeAllListeners('end')
        c.on('error', () => undefined)
        await c.end().catch(() => undefined)
        throw error
      }
      if (this.closing) {
        await c.end().catch(() => undefined)
        throw new Error('the database is closing')
      }
      const wasUp = this.everUp
      this.client = c
      this.everUp = true
      this.attempt = 0
      if (wasUp) {
        this.log.info('database listener reconnected; catching up on missed notices')
        for (const fn of this.reconnected) {
          // One subscriber's failure must not count as a failed reconnect.
          try { fn() } catch (error) { this.log.warn(`database listener: catching up after a reconnect failed: ${(error as Error).message}`) }
        }
      }
      return c
    })().finally(() => { this.connecting = null })
    return this.connecting
  }

  private lost(c: pg.Client, why: string): void {
    if (this.client !== c) return
    this.client = null
    c.end().catch(() => undefined)
    if (this.closing) return
    this.log.warn(`database listener connection lost (${why}); live updates and session notices wait until it is back`)
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    if (this.closing || this.retry) return
    const ceiling = Math.min(this.backoff.maxDelayMs, this.backoff.firstDelayMs * 2 ** Math.min(this.attempt, 30))
    // Between half and all of the ceiling: spread out, never much sooner than planned.
    const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2)
    this.attempt += 1
    this.retry = setTimeout(() => {
      this.retry = null
      this.connect().catch((error: Error) => {
        if (this.closing) return
        this.log.warn(`database listener could not reconnect (attempt ${this.attempt}): ${error.message}; trying again`)
        this.scheduleReconnect()
      })
    }, delay)
    this.retry.unref()
  }
}

async function openPglite(options: OpenDatabaseOptions): Promise<Database> {
  let pglite = options.pglite
  const owned = !pglite
  let releaseLock = () => {}
  // Loaded only here: a process on PostgreSQL never holds PGlite's code.
  const [{ PGlite: Embedded }, { createPgConfig }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/node-postgres')])
  if (!pglite) {
    const dir = path.resolve(options.dataDir)
    fs.mkdirSync(dir, { recursive: true })
    releaseLock = takeDataDirLock(dir)
    try {
      // PostgreSQL's default 128 MB of shared buffers lives in PGlite's WebAssembly memory,
      // where it is most of the process's size; the OS caches the data folder's files anyway.
      pglite = await Embedded.create(path.join(dir, 'pglite'), { startParams: [...Embedded.defaultStartParams, '-c', 'shared_buffers=16MB'] })
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
  failNestedAcquire(knex)
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
    // In-process: there is no connection to lose.
    listening: () => !db.closed,
    onReconnect: () => () => undefined,
    async close() {
      await destroyPool(knex)
      if (owned) await db.close()
      releaseLock()
    },
  }
}

/** A query outside the transaction that holds PGlite's one connection, made inside it. */
export class NestedConnectionError extends Error {}

/**
 * PGlite has one connection. Code running inside `knex.transaction(handler)` that asks
 * the pool for another (a query on `knex` instead of `trx`, `ctx.users.get`, a second
 * transaction) would wait for the transaction, which waits for it: the whole process
 * stalled 30 s, then failed with KnexTimeoutError. The handler's async context is marked
 * while it runs, and an acquisition from inside it fails at once, saying what to do.
 * Calls from anywhere else still queue for the connection as before.
 */
function failNestedAcquire(knex: Knex): void {
  const holding = new AsyncLocalStorage<{ open: boolean }>()
  const client = knex.client as { transaction: (...args: unknown[]) => unknown; acquireConnection: () => Promise<unknown> }
  const transaction = client.transaction.bind(client)
  client.transaction = (container: unknown, ...rest: unknown[]) => {
    if (typeof container !== 'function') return transaction(container, ...rest)
    return transaction((trx: unknown) => {
      const scope = { open: true }
      // Work the handler left running (not awaited) may query once it has finished.
      const close = () => { scope.open = false }
      return holding.run(scope, () => {
        let result: unknown
        try {
          result = (container as (trx: unknown) => unknown)(trx)
        } catch (error) {
          close()
          throw error
        }
        // knex commits when a returned promise settles, and waits for trx.commit() otherwise.
        if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') return Promise.resolve(result).finally(close)
        close()
        return result
      })
    }, ...rest)
  }
  const acquire = client.acquireConnection.bind(client)
  client.acquireConnection = () => holding.getStore()?.open
    ? Promise.reject(new NestedConnectionError(
      'This query would wait forever: on the embedded database (PGlite) there is one connection, and the transaction this code runs in holds it. ' +
      'Run the query on the transaction (trx, or { trx } where a context service takes one), or before or after the transaction; ' +
      'on PostgreSQL the same code would also take a second connection it does not need.'))
    : acquire()
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

/**
 * knex.destroy(), refusing at once any connection asked for while it runs. tarn stops
 * serving requests the moment destroy starts, aborts the ones waiting only at one step
 * of it, and then forgets its queue: a request made after that step (a late write at
 * shutdown) is neither served nor aborted, so it waits out its 8 s timeout, holding the
 * process (and a test's leak check) open for nothing.
 */
export async function destroyPool(knex: { client: unknown; destroy(): Promise<void> }): Promise<void> {
  const pool = (knex.client as { pool?: { acquire(): { abort(): void } } }).pool
  if (pool) {
    const acquire = pool.acquire.bind(pool)
    pool.acquire = () => {
      const pending = acquire()
      pending.abort()
      return pending
    }
  }
  await knex.destroy()
}

