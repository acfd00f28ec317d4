// Recurring work. 'instance' schedules are an in-process timer in every process (a
// cache refresh). 'cluster' schedules run once per interval across all processes (a
// cleanup, a sync): each tick, a process tries to claim the schedule's row in
// `schedule_runs`; the row's next_run_at and lease decide who wins, so two processes
// never both run it and a run still going is not started again. The lease is short
// (the interval, between 3 and 15 s) and the running process renews it while the run
// lasts: a process that dies mid-run (kill -9) frees the schedule within seconds, not
// after the run's timeout, and one that loses its lease stops its run.
import type { Logger } from 'winston'
import type { Database } from '../db.ts'
import { durationMs, durationText } from '../config.ts'
import type { ScheduleDefinition } from '../plugin-api.ts'
import { ABORTED_HANDLER_GRACE_MS, MAX_TIMER_MS, settledWithin } from './queue.ts'

export interface SchedulerOptions {
  db: Database
  log: Logger
  /** Written to schedule_runs.lease_owner; unique per process. */
  workerId: string
  /** How often cluster schedules are checked (default 1 s): their timing is this precise. */
  tickMs?: number
  /** A cluster run's lease for a schedule of this interval (default leaseFor); tests shorten it. */
  leaseMs?: (everyMs: number) => number
}

const MIN_LEASE_MS = 3_000
const MAX_LEASE_MS = 15_000
/** A cluster run's lease: its interval, within bounds; renewed three times per lease while it runs. */
export const leaseFor = (everyMs: number): number => Math.min(MAX_LEASE_MS, Math.max(MIN_LEASE_MS, everyMs))

interface Schedule {
  fullId: string
  def: ScheduleDefinition
  log: Logger
  everyMs: number
  timeoutMs: number
  /** The run in progress: settles when the run ends, or at once when it is aborted. */
  current: Promise<void> | null
  controller: AbortController | null
  /** True until the handler itself settles, even after an abort it ignored. */
  busy: boolean
  /** The handler itself, which may still be finishing up after an abort. */
  work: Promise<unknown> | null
  timer: NodeJS.Timeout | null
}

class ScheduleTimedOut extends Error {}
class ShuttingDown extends Error {}
class LeaseLost extends Error {}

export class Scheduler {
  private readonly db: Database
  private readonly log: Logger
  private readonly workerId: string
  private readonly tickMs: number
  private readonly leaseMs: (everyMs: number) => number
  private readonly schedules = new Map<string, Schedule>()
  private tickTimer: NodeJS.Timeout | null = null
  private ticking: Promise<void> | null = null
  private firstSight = true
  private state: 'idle' | 'started' | 'stopped' = 'idle'

  constructor(options: SchedulerOptions) {
    this.db = options.db
    this.log = options.log
    this.workerId = options.workerId
    this.tickMs = options.tickMs ?? 1000
    this.leaseMs = options.leaseMs ?? leaseFor
  }

  add(fullId: string, def: ScheduleDefinition, log: Logger): void {
    if (this.schedules.has(fullId)) throw new Error(`The schedule "${fullId}" is defined twice.`)
    if (this.state !== 'idle') throw new Error(`The schedule "${fullId}" was added after the scheduler started.`)
    const duration = (field: 'every' | 'timeout') => {
      try {
        return Math.min(durationMs(def[field]), MAX_TIMER_MS)
      } catch (error) {
        throw new Error(`The schedule "${fullId}" has a bad "${field}": ${(error as Error).message}`)
      }
    }
    this.schedules.set(fullId, {
      fullId, def, log, everyMs: duration('every'), timeoutMs: duration('timeout'),
      current: null, controller: null, busy: false, work: null, timer: null,
    })
  }

  start(): void {
    if (this.state !== 'idle') return
    this.state = 'started'
    for (const s of this.schedules.values()) {
      if (s.def.scope !== 'instance') continue
      // Runs at start too: a process restarted more often than `every` would otherwise never run it.
      const fire = () => { this.runLocal(s) }
      s.timer = setInterval(fire, s.everyMs)
      s.timer.unref()
      queueMicrotask(fire)
    }
    if (this.cluster().length) {
      this.tickTimer = setInterval(() => this.tick(), this.tickMs)
      this.tickTimer.unref()
      this.tick()
    }
  }

  async stop(deadlineMs: number, graceMs: () => number = () => ABORTED_HANDLER_GRACE_MS): Promise<void> {
    if (this.state !== 'started') {
      this.state = 'stopped'
      return
    }
    this.state = 'stopped'
    if (this.tickTimer) clearInterval(this.tickTimer)
    this.tickTimer = null
    for (const s of this.schedules.values()) {
      if (s.timer) clearInterval(s.timer)
      s.timer = null
    }
    await this.ticking

    const runs = () => [...this.schedules.values()].filter((s) => s.current)
    if (runs().length) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.allSettled(runs().map((s) => s.current)),
        new Promise((resolve) => { timer = setTimeout(resolve, deadlineMs) }),
      ])
      clearTimeout(timer)
    }
    const left = runs()
    for (const s of left) s.controller?.abort(new ShuttingDown('the process is shutting down'))
    await Promise.allSettled(left.map((s) => s.current))
    // As for jobs: a handler that heeds its signal may still write its way out before the database closes.
    await settledWithin(left.flatMap((s) => (s.work ? [s.work] : [])), Math.min(ABORTED_HANDLER_GRACE_MS, graceMs()))
  }

  private cluster(): Schedule[] {
    return [...this.schedules.values()].filter((s) => s.def.scope === 'cluster')
  }

  private tick(): void {
    if (this.state !== 'started' || this.ticking) return
    this.ticking = this.claimDue()
      .catch((error) => { this.log.warn(`scheduler: checking cluster schedules failed: ${error.message}`) })
      .finally(() => { this.ticking = null })
  }

  /** One INSERT the first time, then one UPDATE per tick claims every due cluster schedule. */
  private async claimDue(): Promise<void> {
    const idle = this.cluster().filter((s) => !s.busy)
    if (idle.length === 0) return
    const wanted = JSON.stringify(idle.map((s) => ({ id: s.fullId, every_ms: s.everyMs, lease_ms: this.leaseMs(s.everyMs) })))
    if (this.firstSight) {
      await this.db.knex.raw(
        `insert into schedule_runs (id, next_run_at)
         select id, now() from jsonb_to_recordset(?::jsonb) as wanted(id text)
         on conflict (id) do nothing`,
        [JSON.stringify(this.cluster().map((s) => ({ id: s.fullId })))],
      )
      this.firstSight = false
    }
    // A competing process's UPDATE waits on the row lock, then re-checks next_run_at and skips it.
    // A run still going keeps its lease renewed, so it is never claimed twice.
    const { rows } = await this.db.knex.raw<{ rows: Array<{ id: string }> }>(
      `update schedule_runs s set
         lease_owner = ?,
         lease_expires_at = now() + wanted.lease_ms * interval '1 millisecond',
         next_run_at = now() + wanted.every_ms * interval '1 millisecond',
         last_run_at = now()
       from jsonb_to_recordset(?::jsonb) as wanted(id text, every_ms bigint, lease_ms bigint)
       where s.id = wanted.id and s.next_run_at <= now()
         and (s.lease_expires_at is null or s.lease_expires_at < now())
       returning s.id`,
      [this.workerId, wanted],
    )
    for (const { id } of rows) {
      const s = this.schedules.get(id)!
      if (this.state !== 'started') break
      this.runLocal(s, { renew: () => this.renewLease(s), release: (interrupted) => this.releaseLease(s, interrupted) })
    }
  }

  /** While a claimed run lasts; false once another process holds the schedule. */
  private async renewLease(s: Schedule): Promise<boolean> {
    const renewed = await this.db.knex('schedule_runs')
      .where({ id: s.fullId, lease_owner: this.workerId })
      .update({ lease_expires_at: this.db.knex.raw(`now() + ? * interval '1 millisecond'`, [this.leaseMs(s.everyMs)]) })
    return renewed > 0
  }

  /** After a run; one interrupted by shutdown is due again at once, in whichever process ticks next. */
  private async releaseLease(s: Schedule, interrupted: boolean): Promise<void> {
    await this.db.knex('schedule_runs')
      .where({ id: s.fullId, lease_owner: this.workerId })
      .update({
        lease_owner: null,
        lease_expires_at: null,
        ...(interrupted ? { next_run_at: this.db.knex.fn.now() } : {}),
      })
  }

  private runLocal(s: Schedule, lease?: { renew(): Promise<boolean>; release(interrupted: boolean): Promise<void> }): void {
    if (this.state !== 'started') return
    if (s.busy) {
      s.log.warn(`schedule ${s.fullId}: the previous run is still going; skipping this one`)
      return
    }
    const controller = new AbortController()
    const timeout = setTimeout(() => {
      controller.abort(new ScheduleTimedOut(`the run took longer than its timeout of ${durationText(s.def.timeout)} and was stopped`))
    }, s.timeoutMs)
    timeout.unref()
    let heartbeat: NodeJS.Timeout | undefined
    if (lease) {
      heartbeat = setInterval(() => {
        lease.renew().then((held) => {
          if (!held) controller.abort(new LeaseLost('another process holds the schedule now (this one stalled past its lease)'))
        }, (error: Error) => { s.log.warn(`schedule ${s.fullId}: renewing its lease failed: ${error.message}`) })
      }, this.leaseMs(s.everyMs) / 3)
      heartbeat.unref()
    }
    s.busy = true
    s.controller = controller

    const work = Promise.resolve().then(() => s.def.run({ signal: controller.signal, log: s.log }))
    // `busy` follows the handler itself, so a handler that ignores its signal never runs twice at once.
    s.work = work.catch(() => undefined).finally(() => { s.busy = false; s.work = null })
    s.current = raceSignal(work, controller.signal)
      .catch((error) => {
        if (controller.signal.reason instanceof ShuttingDown) s.log.info(`schedule ${s.fullId}: stopped by shutdown`)
        else if (controller.signal.reason instanceof LeaseLost) s.log.warn(`schedule ${s.fullId}: stopped: ${controller.signal.reason.message}`)
        else s.log.error(`schedule ${s.fullId} failed: ${(error as Error)?.message ?? error}`, { stack: (error as Error)?.stack })
      })
      .then(async () => {
        clearTimeout(timeout)
        clearInterval(heartbeat)
        if (controller.signal.reason instanceof LeaseLost) return // the lease is another process's now
        await lease?.release(controller.signal.reason instanceof ShuttingDown).catch((error) => { s.log.warn(`schedule ${s.fullId}: releasing its lease failed: ${error.message}`) })
      })
      .finally(() => {
        s.current = null
        s.controller = null
      })
  }
}

function raceSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
