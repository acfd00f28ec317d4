// The durable job queue: a job is a `jobs` row before any work starts, so a crash,
// a restart or `kill -9` loses nothing. Processes claim rows with FOR UPDATE SKIP
// LOCKED (the same SQL on PGlite and PostgreSQL), hold them with a lease that a
// heartbeat renews, and fence every update with the `fence` token the claim took,
// so a worker whose lease was taken over can no longer write. p-queue only bounds
// how many run at once in this process; the database is the queue.
import PQueue from 'p-queue'
import type { Logger } from 'winston'
import type { Knex } from 'knex'
import type { Database } from '../db.ts'
import { toCount } from '../db.ts'
import { durationMs, durationText } from '../config.ts'
import type { EnqueueOptions, JobDefinition, JobRunContext } from '../plugin-api.ts'

export const JOBS_CHANNEL = 'medianest_jobs'
const CANCEL_PREFIX = 'cancel:'
const DEFAULT_ATTEMPTS = 5
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
/** setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1

export type JobStatus = (typeof STATUSES)[number]

export interface JobRow {
  id: string
  name: string
  payload: unknown
  payload_version: number
  status: JobStatus
  dedupe_key: string | null
  run_at: Date
  attempts: number
  max_attempts: number
  lease_owner: string | null
  lease_expires_at: Date | null
  /** bigint: a string from pg. */
  fence: string
  last_error: string | null
  created_at: Date
  updated_at: Date
  finished_at: Date | null
}

export interface JobQueueOptions {
  db: Database
  log: Logger
  /** Written to lease_owner; unique per process (e.g. host:pid). */
  workerId: string
  /** How long a claim holds a job without a heartbeat (default 30 s). */
  leaseMs?: number
  /** How often to look for due jobs and expired leases, besides NOTIFY wake-ups (default 1 s). */
  pollMs?: number
  /** Delay before retry number `attempt + 1`, after `attempt` failed. Tests shorten it. */
  backoffMs?: (attempt: number) => number
}

/** 2^attempt seconds, capped at 10 minutes, plus up to 20% jitter so retries spread out. */
export function exponentialBackoffMs(attempt: number): number {
  const base = Math.min(1000 * 2 ** attempt, 600_000)
  return Math.round(base * (1 + Math.random() * 0.2))
}

/**
 * The payload as run() gets it: upgraded from the version it was written with, then
 * checked by the job's schema. Rows outlive deploys: an older payload is upgraded by the
 * job, a newer one (written by a newer MediaNest) is never guessed at.
 */
function readPayload(def: JobDefinition, row: Pick<JobRow, 'payload' | 'payload_version'>): { ok: true; payload: unknown } | { ok: false; why: string } {
  let payload = row.payload
  const version = def.payloadVersion ?? 1
  if (row.payload_version !== version) {
    if (row.payload_version > version || !def.upgrade) {
      return {
        ok: false,
        why: `the payload is version ${row.payload_version} and this job reads version ${version}` +
          (row.payload_version < version ? ' with no upgrade() for it' : '; run the newer MediaNest that wrote it'),
      }
    }
    payload = def.upgrade(payload, row.payload_version)
  }
  if (def.payload) {
    const parsed = def.payload.safeParse(payload)
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
      return { ok: false, why: `the payload does not match the job's schema, so it was not run (${problems})` }
    }
    payload = parsed.data
  }
  return { ok: true, payload }
}

// Why a run's signal fired: each reason ends the run differently.
class JobTimedOut extends Error {}
class JobCancelled extends Error {}
class LeaseLost extends Error {}
class ShuttingDown extends Error {}

interface Definition {
  def: JobDefinition
  log: Logger
  timeoutMs: number
  concurrency: number
  slots: PQueue
}

interface RunningJob {
  row: JobRow
  controller: AbortController
  /** Settles when the run ends, or at once when it is aborted. */
  done: Promise<void>
  /** The handler itself, which may still be finishing up after an abort. */
  handler: Promise<unknown> | null
}

/** After an abort at shutdown, how long handlers get to finish what they write (a row back to queued). */
export const ABORTED_HANDLER_GRACE_MS = 2000

export class JobQueue {
  private readonly db: Database
  private readonly log: Logger
  private readonly workerId: string
  private readonly leaseMs: number
  private readonly pollMs: number
  private readonly backoffMs: (attempt: number) => number
  private readonly definitions = new Map<string, Definition>()
  private readonly running = new Map<string, RunningJob>()
  private pollTimer: NodeJS.Timeout | null = null
  private unlisten: Promise<(() => Promise<void>) | null> | null = null
  private claiming: Promise<void> | null = null
  private reaping: Promise<void> | null = null
  private claimAgain = false
  private state: 'idle' | 'started' | 'stopping' | 'stopped' = 'idle'

  constructor(options: JobQueueOptions) {
    this.db = options.db
    this.log = options.log
    this.workerId = options.workerId
    this.leaseMs = options.leaseMs ?? 30_000
    this.pollMs = options.pollMs ?? 1000
    this.backoffMs = options.backoffMs ?? exponentialBackoffMs
  }

  define(fullName: string, def: JobDefinition, log: Logger): void {
    if (this.definitions.has(fullName)) throw new Error(`The job "${fullName}" is defined twice.`)
    const concurrency = def.concurrency ?? 1
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new Error(`The job "${fullName}" has concurrency ${concurrency}; use a whole number of 1 or more.`)
    }
    let timeoutMs: number
    try {
      timeoutMs = durationMs(def.timeout)
    } catch (error) {
      throw new Error(`The job "${fullName}" has a bad timeout: ${(error as Error).message}`)
    }
    this.definitions.set(fullName, {
      def,
      log,
      timeoutMs: Math.min(timeoutMs, MAX_TIMER_MS),
      concurrency,
      slots: new PQueue({ concurrency }),
    })
  }

  /** Drops a definition (a plugin that failed to start); its rows stay queued for a later boot. */
  forget(fullName: string): void {
    this.definitions.delete(fullName)
  }

  async enqueue(fullName: string, payload: unknown, options: EnqueueOptions = {}): Promise<string> {
    const [id] = await this.enqueueMany(fullName, [payload], options)
    return id
  }

  /**
   * Several jobs of one name in one INSERT (the event bus: one row per subscriber).
   * With a dedupeKey, give one payload only.
   */
  async enqueueMany(fullName: string, payloads: unknown[], options: EnqueueOptions = {}): Promise<string[]> {
    // A name this process has not defined is still accepted: the host defines a plugin's
    // jobs after its start(), which may enqueue, and another process may run it.
    const definition = this.definitions.get(fullName)
    if (payloads.length === 0) return []
    if (options.dedupeKey !== undefined && payloads.length > 1) {
      throw new Error('A dedupeKey applies to one job; enqueue the payloads one at a time.')
    }
    const maxAttempts = options.attempts ?? definition?.def.attempts ?? DEFAULT_ATTEMPTS
    const runAt = options.runAt ?? null
    const rows = payloads.map((payload) => ({
      name: fullName,
      payload: payloadJson(fullName, payload),
      payload_version: definition?.def.payloadVersion ?? 1,
      dedupe_key: options.dedupeKey ?? null,
      max_attempts: maxAttempts,
      run_at: runAt ?? this.db.knex.fn.now(),
    }))

    // In the caller's transaction the rows and the NOTIFY commit (or vanish) with its own
    // writes: PostgreSQL holds a NOTIFY sent inside a transaction until it commits.
    const db = options.trx ?? this.db.knex
    let ids: string[]
    if (options.dedupeKey === undefined) {
      const inserted: Array<{ id: string }> = await db('jobs').insert(rows).returning('id')
      ids = inserted.map((r) => r.id)
    } else {
      ids = [await this.insertDeduplicated(db, rows[0], options.dedupeKey)]
    }
    if (options.trx) await options.trx.raw('select pg_notify(?, ?)', [JOBS_CHANNEL, fullName])
    else await this.db.notify(JOBS_CHANNEL, fullName)
    return ids
  }

  /** The partial unique index on (name, dedupe_key) for active jobs decides races. */
  private async insertDeduplicated(db: Knex, row: Record<string, unknown>, dedupeKey: string): Promise<string> {
    // The active twin can finish between our insert and our select: then try again.
    for (let tries = 0; tries < 5; tries++) {
      const rows: Array<{ id: string }> = await db('jobs')
        .insert(row)
        .onConflict(db.raw(`(name, dedupe_key) where dedupe_key is not null and status in ('queued', 'running')`))
        .ignore()
        .returning('id')
      if (rows.length) return rows[0].id
      const existing = await db('jobs')
        .where({ name: row.name, dedupe_key: dedupeKey })
        .whereIn('status', ['queued', 'running'])
        .first('id')
      if (existing) return existing.id as string
    }
    throw new Error(`Could not enqueue "${String(row.name)}" with dedupe key "${dedupeKey}": it kept colliding.`)
  }

  async cancel(jobId: string): Promise<boolean> {
    if (!UUID.test(jobId)) return false // an id from a URL: no such job, rather than a SQL error
    // Bumping the fence shuts out the worker running it, wherever it runs.
    const cancelled = await this.db.knex('jobs')
      .where({ id: jobId })
      .whereIn('status', ['queued', 'running'])
      .update({
        status: 'cancelled',
        fence: this.db.knex.raw('fence + 1'),
        lease_owner: null,
        lease_expires_at: null,
        finished_at: this.db.knex.fn.now(),
        updated_at: this.db.knex.fn.now(),
      })
    if (cancelled === 0) return false
    if (!this.abortLocal(jobId, new JobCancelled('the job was cancelled'))) {
      // Another process may be running it: tell it now rather than at its next heartbeat.
      await this.db.notify(JOBS_CHANNEL, CANCEL_PREFIX + jobId)
    }
    return true
  }

  start(): void {
    if (this.state !== 'idle') return
    this.state = 'started'
    this.unlisten = this.db.listen(JOBS_CHANNEL, (message) => this.onNotify(message)).catch((error) => {
      this.log.warn(`job queue: could not LISTEN on ${JOBS_CHANNEL}, relying on polling every ${this.pollMs} ms: ${error.message}`)
      return null
    })
    this.pollTimer = setInterval(() => this.poll(), this.pollMs)
    this.pollTimer.unref()
    this.poll()
  }

  /**
   * Waits up to deadlineMs for running jobs, then releases and aborts them, and gives
   * their handlers up to graceMs() more (default 2 s) to finish their writes.
   */
  async stop(deadlineMs: number, graceMs: () => number = () => ABORTED_HANDLER_GRACE_MS): Promise<void> {
    if (this.state !== 'started') {
      this.state = 'stopped'
      return
    }
    this.state = 'stopping'
    if (this.pollTimer) clearInterval(this.pollTimer)
    this.pollTimer = null
    const unlisten = await this.unlisten
    await unlisten?.().catch(() => undefined)
    await this.reaping
    await this.claiming

    const all = [...this.running.values()]
    if (all.length) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.allSettled(all.map((r) => r.done)),
        new Promise((resolve) => { timer = setTimeout(resolve, deadlineMs) }),
      ])
      clearTimeout(timer)
    }

    const left = [...this.running.values()]
    if (left.length) {
      this.log.warn(`job queue: ${left.length} job(s) still running at shutdown; releasing them for another process`)
      await Promise.all(left.map((r) => this.release(r.row)))
      for (const r of left) r.controller.abort(new ShuttingDown('the process is shutting down'))
      await Promise.allSettled(left.map((r) => r.done))
      // A handler that heeds its signal may still write its way out (its row back to
      // queued): it gets a moment, so those writes happen before the database closes.
      await settledWithin(left.flatMap((r) => (r.handler ? [r.handler] : [])), Math.min(ABORTED_HANDLER_GRACE_MS, graceMs()))
    }
    this.state = 'stopped'
  }

  async stats(): Promise<Record<string, number>> {
    const rows: Array<{ status: string; n: unknown }> = await this.db.knex('jobs')
      .select('status', this.db.knex.raw('count(*)::int as n'))
      .groupBy('status')
    const counts: Record<string, number> = Object.fromEntries(STATUSES.map((s) => [s, 0]))
    for (const row of rows) counts[row.status] = toCount(row.n)
    return counts
  }

  // ---------- claiming

  private onNotify(message: string): void {
    if (message.startsWith(CANCEL_PREFIX)) {
      this.abortLocal(message.slice(CANCEL_PREFIX.length), new JobCancelled('the job was cancelled'))
    } else if (this.definitions.has(message)) {
      this.wake()
    }
  }

  private poll(): void {
    if (this.state !== 'started' || this.reaping) return
    this.reaping = this.reap()
      .catch((error) => { this.log.warn(`job queue: reaping expired leases failed: ${error.message}`) })
      .finally(() => {
        this.reaping = null
        this.wake()
      })
  }

  /** Runs a claim now, or once more after the one in flight (NOTIFYs arrive in bursts). */
  private wake(): void {
    if (this.state !== 'started') return
    if (this.claiming) {
      this.claimAgain = true
      return
    }
    this.claiming = this.claim()
      .catch((error) => { this.log.warn(`job queue: claiming jobs failed: ${error.message}`) })
      .finally(() => {
        this.claiming = null
        if (this.claimAgain) {
          this.claimAgain = false
          this.wake()
        }
      })
  }

  private async claim(): Promise<void> {
    const wanted = [...this.definitions.entries()]
      .map(([name, d]) => ({ name, free: d.concurrency - d.slots.size - d.slots.pending }))
      .filter((w) => w.free > 0)
    if (wanted.length === 0) return
    // One statement; per name, no more rows than that name has free slots.
    const { rows } = await this.db.knex.raw<{ rows: JobRow[] }>(
      `update jobs set status = 'running', lease_owner = ?,
         lease_expires_at = now() + ? * interval '1 millisecond',
         fence = fence + 1, attempts = attempts + 1, updated_at = now()
       where id in (
         select picked.id
         from jsonb_to_recordset(?::jsonb) as wanted(name text, free int)
         cross join lateral (
           select j.id from jobs j
           where j.status = 'queued' and j.run_at <= now() and j.name = wanted.name
           order by j.run_at
           limit wanted.free
           for update skip locked
         ) picked
       )
       returning *`,
      [this.workerId, this.leaseMs, JSON.stringify(wanted)],
    )
    for (const row of rows) this.startRun(row)
  }

  /** Running jobs whose lease ran out belong to a process that died or hung: queue them again, or fail them for good. */
  private async reap(): Promise<void> {
    const expired: Array<Pick<JobRow, 'id' | 'fence' | 'name' | 'attempts' | 'max_attempts' | 'lease_owner' | 'payload' | 'payload_version'>> =
      await this.db.knex('jobs')
        .where('status', 'running')
        .where('lease_expires_at', '<', this.db.knex.fn.now())
        .limit(100)
        .select('id', 'fence', 'name', 'attempts', 'max_attempts', 'lease_owner', 'payload', 'payload_version')
    for (const job of expired) {
      const exhausted = job.attempts >= job.max_attempts
      const why = `the worker ${job.lease_owner ?? '?'} lost its lease during attempt ${job.attempts} (it crashed or stopped responding)`
      const updated = exhausted
        ? await this.failForGood(job, why, { reaped: true })
        : await this.db.knex('jobs')
          .where({ id: job.id, fence: job.fence, status: 'running' })
          .where('lease_expires_at', '<', this.db.knex.fn.now())
          .update({
            status: 'queued',
            run_at: this.db.knex.raw(`now() + ? * interval '1 millisecond'`, [this.backoffMs(job.attempts)]),
            fence: this.db.knex.raw('fence + 1'),
            lease_owner: null,
            lease_expires_at: null,
            last_error: why,
            updated_at: this.db.knex.fn.now(),
          })
      if (updated) {
        this.log.warn(`job ${job.name} ${job.id}: ${why}; ${exhausted ? 'no attempts left, marked failed' : 'queued again'}`)
      }
    }
  }

  /**
   * Marks a job failed for good and runs its definition's onFailed in the same
   * transaction: the plugin's row and the job's end commit together. The fence makes it
   * at most once: whoever comes second (a reaper, a late worker) finds the row moved.
   */
  private async failForGood(
    row: Pick<JobRow, 'id' | 'fence' | 'name' | 'payload' | 'payload_version'>,
    lastError: string,
    options: { reaped?: boolean } = {},
  ): Promise<boolean> {
    const definition = this.definitions.get(row.name)
    const afterCommit: Array<() => Promise<void> | void> = []
    const failed = await this.db.knex.transaction(async (trx) => {
      let marking = trx('jobs').where({ id: row.id, fence: row.fence, status: 'running' })
      if (options.reaped) marking = marking.where('lease_expires_at', '<', trx.fn.now())
      const updated = await marking.update({
        status: 'failed',
        last_error: lastError,
        lease_owner: null,
        lease_expires_at: null,
        finished_at: trx.fn.now(),
        updated_at: trx.fn.now(),
        ...(options.reaped ? { fence: trx.raw('fence + 1') } : {}),
      })
      if (!updated) return false
      const onFailed = definition?.def.onFailed
      if (!onFailed) return true
      let read: ReturnType<typeof readPayload>
      try {
        read = readPayload(definition.def, row)
      } catch (error) {
        read = { ok: false, why: `upgrade() threw: ${(error as Error)?.message ?? error}` }
      }
      const later: typeof afterCommit = []
      try {
        // A savepoint: a hook that throws takes back its own writes, not the job's end.
        await trx.transaction((hook) => onFailed({
          jobId: row.id, payload: read.ok ? read.payload : undefined, raw: row.payload, error: lastError, trx: hook, log: definition.log,
          afterCommit: (fn) => { later.push(fn) },
        }))
        afterCommit.push(...later)
      } catch (error) {
        definition.log.error(`job ${row.name} ${row.id}: its onFailed failed (${(error as Error)?.message ?? error}); the job is marked failed all the same`, { stack: (error as Error)?.stack })
      }
      return true
    })
    for (const fn of afterCommit) {
      try {
        await fn()
      } catch (error) {
        definition!.log.warn(`job ${row.name} ${row.id}: work onFailed left for after the commit failed: ${(error as Error)?.message ?? error}`)
      }
    }
    return failed
  }

  // ---------- running

  private startRun(row: JobRow): void {
    const definition = this.definitions.get(row.name)
    if (!definition) return // cannot happen: the claim names only defined jobs
    const controller = new AbortController()
    const running: RunningJob = { row, controller, done: Promise.resolve(), handler: null }
    this.running.set(row.id, running)
    running.done = definition.slots
      .add(() => this.run(row, definition, controller))
      .catch((error) => { definition.log.error(`job ${row.name} ${row.id}: ${(error as Error).stack ?? error}`) })
      .finally(() => {
        this.running.delete(row.id)
        this.wake()
      })
  }

  private async run(row: JobRow, definition: Definition, controller: AbortController): Promise<void> {
    const { def } = definition
    const log = definition.log.child({ jobId: row.id })
    const label = `job ${row.name} ${row.id}`
    const { signal } = controller

    const heartbeat = async (): Promise<void> => {
      const renewed = await this.db.knex('jobs')
        .where({ id: row.id, fence: row.fence, status: 'running' })
        .update({
          lease_expires_at: this.db.knex.raw(`now() + ? * interval '1 millisecond'`, [this.leaseMs]),
          updated_at: this.db.knex.fn.now(),
        })
      if (!renewed) {
        const lost = new LeaseLost('another worker took this job over, or it was cancelled')
        controller.abort(lost)
        throw lost
      }
    }
    const heartbeatTimer = setInterval(() => {
      heartbeat().catch((error) => {
        if (!(error instanceof LeaseLost)) log.warn(`${label}: renewing the lease failed: ${error.message}`)
      })
    }, Math.max(1, Math.floor(this.leaseMs / 3)))
    heartbeatTimer.unref()
    const timeoutTimer = setTimeout(() => {
      controller.abort(new JobTimedOut(`the job ran longer than its timeout of ${durationText(def.timeout)} and was stopped`))
    }, definition.timeoutMs)
    timeoutTimer.unref()

    try {
      const read = readPayload(def, row)
      if (!read.ok) {
        log.error(`${label}: ${read.why}`)
        await this.failForGood(row, read.why)
        return
      }
      const payload = read.payload
      const context: JobRunContext = { signal, jobId: row.id, attempt: row.attempts, log, heartbeat }
      // Raced with the signal: a handler that ignores its signal must not hold the job (or stop()) forever.
      const handler = def.run(payload, context)
      const running = this.running.get(row.id)
      if (running) running.handler = handler.catch(() => undefined)
      await untilAborted(handler, signal, () => log.warn(`${label}: the handler ignored its abort signal and is still running`))
      // last_error stays: "succeeded at attempt 3" reads better with what went wrong before.
      if (!(await this.finish(row, { status: 'succeeded' }))) {
        log.warn(`${label} finished, but its lease had been taken over or it was cancelled; the result was not recorded`)
      }
    } catch (error) {
      const reason: unknown = signal.aborted ? signal.reason : error
      if (reason instanceof JobCancelled) log.info(`${label} was cancelled`)
      else if (reason instanceof ShuttingDown) log.info(`${label} was stopped by shutdown and released`)
      else if (reason instanceof LeaseLost) log.warn(`${label} stopped: ${reason.message}`)
      else await this.failAttempt(row, reason, log, label)
    } finally {
      clearInterval(heartbeatTimer)
      clearTimeout(timeoutTimer)
    }
  }

  private async failAttempt(row: JobRow, error: unknown, log: Logger, label: string): Promise<void> {
    const message = error instanceof Error ? error.message : String(error)
    const last = row.attempts >= row.max_attempts
    const lastError = `attempt ${row.attempts} of ${row.max_attempts} failed: ${message}`
    let recorded: boolean
    if (last) {
      log.error(`${label}: ${lastError}; no attempts left, marked failed`, { stack: (error as Error)?.stack })
      recorded = await this.failForGood(row, lastError)
    } else {
      const delay = this.backoffMs(row.attempts)
      const requeued = await this.fencedUpdate(row, {
        status: 'queued',
        run_at: this.db.knex.raw(`now() + ? * interval '1 millisecond'`, [delay]),
        last_error: lastError,
        lease_owner: null,
        lease_expires_at: null,
      })
      recorded = requeued !== null
      // run_at is only when the job becomes claimable: a busy queue (no free slot for
      // this job) starts it later, so the log promises a lower bound, on the database's clock.
      const when = requeued ? `retrying no sooner than ${describeDelay(delay)} from now (at ${isoSecond(requeued.run_at)})` : 'not queued again'
      log.warn(`${label}: ${lastError}; ${when}`, { stack: (error as Error)?.stack })
    }
    if (!recorded) log.warn(`${label}: the failure was not recorded: the lease had been taken over or the job was cancelled`)
  }

  private async finish(row: JobRow, outcome: { status: 'succeeded' }): Promise<boolean> {
    const updated = await this.fencedUpdate(row, {
      ...outcome,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: this.db.knex.fn.now(),
    })
    return updated !== null
  }

  /**
   * Every write a worker makes: refused once another claim (or a cancel) moved the
   * fence. Returns the row's new run_at, or null when it was refused.
   */
  private async fencedUpdate(row: JobRow, changes: Record<string, unknown>): Promise<Pick<JobRow, 'run_at'> | null> {
    const [updated]: Array<Pick<JobRow, 'run_at'>> = await this.db.knex('jobs')
      .where({ id: row.id, fence: row.fence, status: 'running' })
      .update({ ...changes, updated_at: this.db.knex.fn.now() })
      .returning('run_at')
    return updated ?? null
  }

  /** Shutdown is not the job's fault: give the attempt back and let any process resume it now. */
  private async release(row: JobRow): Promise<void> {
    await this.db.knex('jobs')
      .where({ id: row.id, fence: row.fence, status: 'running' })
      .update({
        status: 'queued',
        run_at: this.db.knex.fn.now(),
        attempts: this.db.knex.raw('greatest(attempts - 1, 0)'),
        fence: this.db.knex.raw('fence + 1'),
        lease_owner: null,
        lease_expires_at: null,
        updated_at: this.db.knex.fn.now(),
      })
      .catch((error) => { this.log.warn(`job ${row.name} ${row.id}: releasing its lease failed (${error.message}); it is re-queued when the lease expires`) })
  }

  private abortLocal(jobId: string, reason: Error): boolean {
    const running = this.running.get(jobId)
    if (!running) return false
    running.controller.abort(reason)
    return true
  }
}

/** 450 -> "450 ms", 2300 -> "2 s", 600000 -> "10 min". */
function describeDelay(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`
  return `${Math.round(ms / 60_000)} min`
}

/** 2026-11-30T12:01:05Z: to the second, in UTC, as log readers compare with other hosts. */
function isoSecond(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`
}

/** Stringified by hand: pg would turn a top-level array into a PostgreSQL array. */
function payloadJson(fullName: string, payload: unknown): string {
  try {
    return JSON.stringify(payload ?? null)
  } catch (error) {
    throw new TypeError(`The payload of job "${fullName}" cannot be stored as JSON: ${(error as Error).message}`)
  }
}

/** Waits for every promise to settle, or ms, whichever comes first. */
export async function settledWithin(promises: Array<Promise<unknown>>, ms: number): Promise<void> {
  if (!promises.length) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => { timer = setTimeout(resolve, ms) })])
  clearTimeout(timer)
}

/** Resolves or rejects with `work`, or rejects with the signal's reason as soon as it fires. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, onIgnored: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false
    const onAbort = () => {
      reject(signal.reason)
      const check = setTimeout(() => { if (!settled) onIgnored() }, 5000)
      check.unref()
      work.finally(() => clearTimeout(check)).catch(() => undefined)
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => { settled = true; signal.removeEventListener('abort', onAbort); resolve(value) },
      (error) => { settled = true; signal.removeEventListener('abort', onAbort); reject(error) },
    )
  })
}
