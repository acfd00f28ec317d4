// Checks: read the targets, claim the due ones, run them through the process's p-queue
// (at most `concurrency` at once, each bounded by its own timeout, so a hanging target
// never holds up the others), and record and publish each result as soon as it comes.
// The cluster schedule runs `checkWindow`: for a few seconds it wakes at each due time,
// so each service keeps its interval to within a tick; its checks run on after it returns.
// "Check now" and `core.service.updated` run a round and wait for its results.
import PQueue from 'p-queue'
import type { MonitorContext } from './plugin-config.ts'
import { probeHttp, probeTcp, readCertificate } from './probes.ts'
import { trustedCas } from './trusted-cas.ts'
import { targetsFrom, type Target } from './targets.ts'
import { claimDue, recordResult, syncTargets, type CheckOutcome, type Recorded } from './service-status.ts'
import { importKuma } from './uptime-kuma-import.ts'
import { announceChanges } from './live-board.ts'
import { boardChanged } from './board-cache.ts'
import { inMaintenance, type ActiveWindow } from './maintenance.ts'

export interface RoundOptions {
  only?: string[]
  signal?: AbortSignal
  force?: boolean
  /** Start the claimed checks and return; each publishes its own result (the schedule). */
  detach?: boolean
  /** Targets read already (a window reads them once). */
  targets?: Target[]
  /** Each started check's promise is added here (a window waits on them, within its time). */
  started?: Array<Promise<unknown>>
}

// One queue per running plugin: checks claimed by successive windows share its slots, and
// one signal stops the detached ones at shutdown.
const running = new WeakMap<MonitorContext, { queue: PQueue; stop: AbortController }>()
const runnerOf = (ctx: MonitorContext) => {
  let r = running.get(ctx)
  if (!r) running.set(ctx, (r = { queue: new PQueue({ concurrency: ctx.config.concurrency }), stop: new AbortController() }))
  return r
}
const queueOf = (ctx: MonitorContext) => runnerOf(ctx).queue

/** Shutdown: checks still running are stopped (a check's probe heeds its signal) and their slots drained. */
export async function stopChecks(ctx: MonitorContext): Promise<void> {
  const r = runnerOf(ctx)
  r.queue.clear()
  r.stop.abort(new Error('MediaNest is shutting down'))
  await r.queue.onIdle()
}

export async function currentTargets(ctx: MonitorContext): Promise<Target[]> {
  return targetsFrom(ctx.config, await ctx.services.list(), ctx.services.types())
}

/** Checks every due target (or `only` these; `force` checks them even if not due). Returns how many ran. */
export async function runDueChecks(ctx: MonitorContext, now: Date, options: RoundOptions = {}): Promise<number> {
  const targets = options.targets ?? await currentTargets(ctx)
  const targetsChanged = options.targets ? false : await syncTargets(ctx.db, targets, now)
  const wanted = options.only ? targets.filter((t) => options.only!.includes(t.name)) : targets
  if (options.force) {
    await ctx.db('service_status').whereIn('service_name', wanted.map((t) => t.name)).update({ next_check_at: now })
  }
  const claimed = new Set(await claimDue(ctx.db, wanted.map((t) => t.name), now))
  if (targetsChanged) await boardChanged(ctx)
  const resting = claimed.size ? await inMaintenance(ctx.db, now) : new Map<string, ActiveWindow>()
  const runs = wanted.filter((t) => claimed.has(t.name)).map((target) => queueOf(ctx).add(async () => {
    try {
      // Each result is its own: recorded at its own time, and on the board the moment it is in.
      const signal = options.detach ? runnerOf(ctx).stop.signal : options.signal
      if (signal?.aborted) return
      const changes = await checkTarget(ctx, target, options.detach ? ctx.clock.now() : now, signal, resting)
      await boardChanged(ctx)
      await announceChanges(ctx, changes)
    } catch (error) {
      ctx.log.error(`monitor: recording the check of ${target.name} failed: ${(error as Error).message}`)
    }
  }))
  options.started?.push(...runs)
  if (!options.detach) await Promise.all(runs)
  return claimed.size
}

/**
 * The schedule's run: for `windowMs`, claim what is due, start it, and sleep until the next
 * due time (real time bounds the window whatever the clock says). Targets are read once.
 */
export async function checkWindow(ctx: MonitorContext, windowMs: number, signal: AbortSignal): Promise<void> {
  const until = performance.now() + windowMs
  const targets = await currentTargets(ctx)
  if (await syncTargets(ctx.db, targets, ctx.clock.now())) await boardChanged(ctx)
  const started: Array<Promise<unknown>> = []
  while (!signal.aborted) {
    await runDueChecks(ctx, ctx.clock.now(), { targets, detach: true, started })
    const next = await nextDue(ctx.db)
    const left = until - performance.now()
    const wait = next ? next.getTime() - ctx.clock.nowMs() : Infinity
    if (left <= 0 || wait >= left) {
      // The run (and its lease) lasts while its checks do, up to the window's end: a check
      // that hangs past it runs on without holding up the next window.
      await Promise.race([Promise.allSettled(started), sleep(Math.max(0, left), signal)])
      return
    }
    await sleep(Math.max(25, wait), signal)
  }
}

async function nextDue(db: MonitorContext['db']): Promise<Date | null> {
  // A paused row stays due and is never claimed: it must not wake the window.
  const row = await db('service_status').whereIn('source', ['service', 'check']).whereNull('paused_at').min('next_check_at as at').first()
  return row?.at ? new Date(row.at as string | Date) : null
}

function httpsUrl(address: string | null): URL | null {
  try {
    const url = address ? new URL(address) : null
    return url?.protocol === 'https:' ? url : null
  } catch {
    return null
  }
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(done, ms)
  function done() {
    clearTimeout(timer)
    signal.removeEventListener('abort', done)
    resolve()
  }
  signal.addEventListener('abort', done, { once: true })
})

/**
 * Runs one target's check and records it; the Uptime Kuma import also records its mirrors.
 * A target in a maintenance window (`resting`, read afresh when not given) is not checked.
 */
export async function checkTarget(ctx: MonitorContext, target: Target, now: Date, signal?: AbortSignal, resting?: Map<string, ActiveWindow>): Promise<Array<Recorded & { name: string }>> {
  const window = (resting ?? await inMaintenance(ctx.db, now)).get(target.name)
  if (window) {
    const outcome: CheckOutcome = { ok: true, responseTimeMs: null, status: 'maintenance', message: `In maintenance ("${window.title}") until ${ctx.http.formatDate(null, window.until)}: not checked.` }
    const recorded = await recording(ctx, target.name, () => ctx.db.transaction((trx) => recordResult(trx, ctx.events, target.name, outcome, now, { retries: 0, retryIntervalMs: target.retryIntervalMs, degradedAboveMs: ctx.config.degradedAboveMs })))
    return [{ ...recorded, name: target.name }]
  }
  if (target.kind === 'kuma-import') return importKuma(ctx, target, now, signal)
  const outcome = await runProbe(ctx, target, signal)
  // Stopped by shutdown, not failed: nothing is recorded (the next check is due after the restart).
  if (signal?.aborted) return []
  const settings = { retries: target.retries, retryIntervalMs: target.retryIntervalMs, degradedAboveMs: ctx.config.degradedAboveMs, certWarnDays: ctx.config.certWarnDays }
  const recorded = await recording(ctx, target.name, () => ctx.db.transaction((trx) => recordResult(trx, ctx.events, target.name, outcome, now, settings)))
  if (recorded.after === 'down') ctx.log.info(`monitor: ${target.name} is down: ${outcome.message}`)
  return [{ ...recorded, name: target.name }]
}

/** Waits before the second and third try of recording a result. */
export const RECORD_RETRY_MS = [250, 1000]

/**
 * A result is recorded in one transaction: if the database blinks (a connection lost, a
 * busy embedded database timing out) nothing of it was written, so it is tried again, up
 * to twice, rather than lost (a lost result was a gap in the figures and the bar).
 */
export async function recording<T>(ctx: MonitorContext, name: string, write: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write()
    } catch (error) {
      if (attempt >= RECORD_RETRY_MS.length) throw error
      ctx.log.warn(`monitor: recording the check of ${name} failed (${(error as Error).message}); trying again`)
      await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS[attempt]))
    }
  }
}

export async function runProbe(ctx: MonitorContext, target: Target, signal?: AbortSignal): Promise<CheckOutcome> {
  switch (target.kind) {
    case 'http':
      if (target.settingsProblem) return { ok: false, responseTimeMs: null, message: target.settingsProblem }
      return probeHttp({ ...target.http, url: target.target!, ca: trustedCas(ctx) }, target.timeoutMs, signal)
    case 'tcp': return probeTcp(target.target!, target.timeoutMs, signal)
    case 'service-type': {
      const result = await ctx.services.check(target.name, { timeoutMs: target.timeoutMs, signal })
      const outcome: CheckOutcome = { ok: result.ok, responseTimeMs: result.ok ? (result.responseTimeMs ?? null) : null, message: result.message }
      // Its own plugin's check says nothing of the certificate: a handshake reads it.
      const url = httpsUrl(target.target)
      if (!url) return outcome
      const { cert, problem } = await readCertificate(url, target.timeoutMs, trustedCas(ctx), signal)
      if (problem) return { ok: false, responseTimeMs: null, message: problem, cert }
      return cert ? { ...outcome, cert } : outcome
    }
    default: throw new Error(`no probe for ${target.kind}`)
  }
}
