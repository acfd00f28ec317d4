// Mirrors an Uptime Kuma status page: each public monitor becomes a row on our board
// (`kuma:<id>`), its newest heartbeat recorded like one of our own checks, so incidents,
// uptime and charts work the same. Everything is read and validated first and written
// in one transaction: a missing, private, empty or garbled page is one clear error on
// the uptime-kuma service, never a partial mirror and never "all up".
import { UpstreamError, type Knex, type ServiceConfigRecord } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import type { Target } from './targets.ts'
import { KUMA_TYPE } from './targets.ts'
import { KumaConfigError, readKuma, type KumaSnapshot } from './uptime-kuma-client.ts'
import { recordResult, type CheckOutcome, type Recorded, type Status } from './service-status.ts'

export const kumaName = (id: number) => `kuma:${id}`

const HEARTBEAT = { DOWN: 0, UP: 1, PENDING: 2, MAINTENANCE: 3 }

export async function importKuma(ctx: MonitorContext, target: Target, now: Date, signal?: AbortSignal): Promise<Array<Recorded & { name: string }>> {
  // Kuma has retried already: what it reports is recorded as it says.
  const settings = { retries: 0, retryIntervalMs: target.retryIntervalMs, degradedAboveMs: ctx.config.degradedAboveMs }
  const service = await ctx.services.get(KUMA_TYPE)
  const began = performance.now()
  let snapshot: KumaSnapshot | null = null
  let failure: string | null = null
  try {
    if (!service) throw new KumaConfigError('The uptime-kuma service is not configured.')
    // One bound for the whole import, retries included: the check ends within its timeout.
    const bound = AbortSignal.timeout(target.timeoutMs)
    try {
      snapshot = await readSnapshot(ctx, service, target.timeoutMs, signal ? AbortSignal.any([signal, bound]) : bound)
    } catch (error) {
      if (bound.aborted && !signal?.aborted) throw new KumaConfigError(`Uptime Kuma did not answer within ${Math.round(target.timeoutMs / 100) / 10} s (${service.serviceUrl}).`)
      throw error
    }
  } catch (error) {
    failure = error instanceof KumaConfigError || error instanceof UpstreamError ? error.message : `Reading Uptime Kuma failed: ${(error as Error).message}`
    ctx.log.warn(`monitor: Uptime Kuma import failed: ${failure}`)
  }
  const elapsed = Math.round(performance.now() - began)
  if (signal?.aborted) return []
  return ctx.db.transaction(async (trx) => {
    const out: Array<Recorded & { name: string }> = []
    // The Kuma service itself retries like any target: pending, then DOWN.
    const ownSettings = { ...settings, retries: target.retries }
    if (!snapshot) {
      const own = await recordResult(trx, ctx.events, target.name, { ok: false, responseTimeMs: null, message: failure! }, now, ownSettings)
      out.push({ ...own, name: target.name })
      // Unread for UNREAD_POLLS checks in a row: what Kuma said last is no longer known to be true.
      const failures = (await trx('service_status').where({ service_name: target.name }).first('consecutive_failures'))?.consecutive_failures ?? 0
      if (failures >= UNREAD_POLLS) out.push(...await markUnknown(trx, failures, now))
      return out
    }
    // A mirrored monitor named like one of our own services says where it comes from.
    const ours = new Set((await trx('service_status').whereIn('source', ['service', 'check']).pluck('display_name')).map((n: string) => n.trim().toLowerCase()))
    const seen: string[] = []
    for (const m of snapshot.monitors) {
      const name = kumaName(m.id)
      seen.push(name)
      const displayName = (ours.has(m.name.trim().toLowerCase()) ? `Kuma: ${m.name}` : m.name).slice(0, 200)
      await trx('service_status')
        .insert({ service_name: name, display_name: displayName, source: 'kuma', target: `${target.target ?? ''} (monitor ${m.id})`, severity: target.severity, interval_ms: target.intervalMs, next_check_at: null })
        .onConflict('service_name').merge(['display_name', 'target', 'severity', 'interval_ms'])
      const beats = snapshot.beats.get(m.id) ?? []
      const prior = await trx('service_status').where({ service_name: name }).first('last_check_at')
      // Each beat is recorded once, as one of our checks (so N failed beats open an
      // incident); a first import takes only the newest, not Kuma's whole history.
      const fresh = prior?.last_check_at
        ? beats.filter((b) => b.at.getTime() > new Date(prior.last_check_at).getTime())
        : beats.slice(-1)
      for (const beat of fresh) {
        const recorded = await recordResult(trx, ctx.events, name, mirrorOutcome(snapshot, m, beat), beat.at, settings)
        out.push({ ...recorded, name })
      }
    }
    // Monitors no longer on the page stop being mirrored (their history ages out).
    await trx('service_status').where({ source: 'kuma' }).whereNotIn('service_name', seen).del()
    const total = snapshot.monitors.length
    const own = await recordResult(trx, ctx.events, target.name, {
      ok: true, responseTimeMs: elapsed,
      message: `Read "${snapshot.title}": ${total} ${total === 1 ? 'monitor' : 'monitors'}${snapshot.incidents ? `, ${snapshot.incidents} incident(s) posted on the page` : ''}.`,
    }, now, ownSettings)
    out.push({ ...own, name: target.name })
    return out
  })
}

/** Checks of the Kuma service in a row that could not read it before its mirrored rows say "unknown". */
export const UNREAD_POLLS = 2

/** Every mirrored row: unknown, with why. No metric is written: nothing was measured. */
async function markUnknown(trx: Knex.Transaction, failures: number, now: Date): Promise<Array<Recorded & { name: string }>> {
  const rows: Array<{ service_name: string; status: Status | null }> = await trx('service_status').where({ source: 'kuma' }).whereNot({ status: 'unknown' }).select('service_name', 'status')
  if (!rows.length) return []
  await trx('service_status').where({ source: 'kuma' }).whereIn('service_name', rows.map((r) => r.service_name)).update({
    status: 'unknown', status_since: now, response_time_ms: null,
    message: `Unknown: Uptime Kuma has not answered for ${failures} checks in a row, so its last word may no longer be true.`,
  })
  return rows.map((r) => ({ before: r.status, after: 'unknown' as Status, opened: null, resolved: false, name: r.service_name }))
}

async function readSnapshot(ctx: MonitorContext, service: ServiceConfigRecord, timeoutMs: number, signal?: AbortSignal): Promise<KumaSnapshot> {
  const slug = typeof service.fields.slug === 'string' ? service.fields.slug.trim() : ''
  if (!slug) throw new KumaConfigError('The uptime-kuma service has no status page slug: set it in Admin → Services.')
  return readKuma(ctx, service.serviceUrl, slug, service.apiKey, timeoutMs, signal)
}

function mirrorOutcome(snapshot: KumaSnapshot, m: KumaSnapshot['monitors'][number], beat: { status: number; ping: number | null }): CheckOutcome {
  const ping = beat.ping ?? snapshot.metricsPing?.get(m.name) ?? null
  const uptime = snapshot.uptime24.get(m.id)
  const details = { kumaId: m.id, kumaType: m.type, kumaGroup: m.group, kumaUptime24h: uptime ?? null }
  const words: Record<number, [Status, string]> = {
    [HEARTBEAT.UP]: ['up', 'Up in Uptime Kuma.'],
    [HEARTBEAT.DOWN]: ['down', 'Down in Uptime Kuma.'],
    [HEARTBEAT.PENDING]: ['pending', 'Pending in Uptime Kuma (it is retrying a failed check).'],
    [HEARTBEAT.MAINTENANCE]: ['up', 'In maintenance in Uptime Kuma.'],
  }
  const [status, message] = words[beat.status] ?? ['degraded', `Uptime Kuma reported an unknown status (${beat.status}).`]
  return { ok: status !== 'down', responseTimeMs: ping, message, status, details }
}
