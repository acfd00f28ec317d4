// One round of checks: read the targets, claim the due ones, run them through a p-queue
// (at most `concurrency` at once, each bounded by its own timeout, so a hanging target
// never holds up the others), and record each result as it comes. Runs from the cluster
// schedule, from `core.service.updated`, and from an admin's "Check now".
import PQueue from 'p-queue'
import type { MonitorContext } from './plugin-config.ts'
import { probeHttp, probeTcp } from './probes.ts'
import { targetsFrom, type Target } from './targets.ts'
import { claimDue, recordResult, syncTargets, type CheckOutcome, type Recorded } from './service-status.ts'
import { importKuma } from './uptime-kuma-import.ts'
import { announceChanges } from './live-board.ts'
import { boardChanged } from './board-cache.ts'

export interface RoundOptions { only?: string[]; signal?: AbortSignal; force?: boolean }

export async function currentTargets(ctx: MonitorContext): Promise<Target[]> {
  return targetsFrom(ctx.config, await ctx.services.list(), ctx.services.types())
}

/** Checks every due target (or `only` these; `force` checks them even if not due). Returns how many ran. */
export async function runDueChecks(ctx: MonitorContext, now: Date, options: RoundOptions = {}): Promise<number> {
  const targets = await currentTargets(ctx)
  const targetsChanged = await syncTargets(ctx.db, targets, now)
  const wanted = options.only ? targets.filter((t) => options.only!.includes(t.name)) : targets
  if (options.force) {
    await ctx.db('service_status').whereIn('service_name', wanted.map((t) => t.name)).update({ next_check_at: now })
  }
  const claimed = new Set(await claimDue(ctx.db, wanted.map((t) => t.name), now))
  const queue = new PQueue({ concurrency: ctx.config.concurrency })
  const changes: Array<Recorded & { name: string }> = []
  for (const target of wanted.filter((t) => claimed.has(t.name))) {
    void queue.add(async () => {
      try {
        changes.push(...(await checkTarget(ctx, target, now, options.signal)))
      } catch (error) {
        ctx.log.error(`monitor: recording the check of ${target.name} failed: ${(error as Error).message}`)
      }
    })
  }
  await queue.onIdle()
  if (targetsChanged || changes.length) await boardChanged(ctx)
  await announceChanges(ctx, changes)
  return claimed.size
}

/** Runs one target's check and records it; the Uptime Kuma import also records its mirrors. */
export async function checkTarget(ctx: MonitorContext, target: Target, now: Date, signal?: AbortSignal): Promise<Array<Recorded & { name: string }>> {
  if (target.kind === 'kuma-import') return importKuma(ctx, target, now, signal)
  const outcome = await runProbe(ctx, target, signal)
  const settings = { failuresBeforeIncident: ctx.config.failuresBeforeIncident, degradedAboveMs: ctx.config.degradedAboveMs }
  const recorded = await ctx.db.transaction((trx) => recordResult(trx, ctx.events, target.name, outcome, now, settings))
  if (recorded.after === 'down') ctx.log.info(`monitor: ${target.name} is down: ${outcome.message}`)
  return [{ ...recorded, name: target.name }]
}

export async function runProbe(ctx: MonitorContext, target: Target, signal?: AbortSignal): Promise<CheckOutcome> {
  switch (target.kind) {
    case 'http': return probeHttp({ url: target.target!, expect: target.expect, keyword: target.keyword }, target.timeoutMs, signal)
    case 'tcp': return probeTcp(target.target!, target.timeoutMs, signal)
    case 'service-type': {
      const result = await ctx.services.check(target.name, { timeoutMs: target.timeoutMs, signal })
      return { ok: result.ok, responseTimeMs: result.ok ? (result.responseTimeMs ?? null) : null, message: result.message }
    }
    default: throw new Error(`no probe for ${target.kind}`)
  }
}
