// service_status: one row per watched target, and the one place a check result is
// written. A result is recorded in one transaction: the raw metric rows, the status
// row (with its 30-day uptime), and the incident opened or resolved with its event.
// Rows are claimed before a check (next_check_at moved forward in one UPDATE), so
// however many processes run the schedule, each target is checked once per interval.
import type { Events, Knex } from 'medianest/plugin-api'
import type { Severity } from './plugin-config.ts'
import type { Target, TargetSource } from './targets.ts'
import { openIncident, resolveIncident, type IncidentRow } from './incidents.ts'
import { chartPoints, DAY_MS, hourlyPointsMany, uptimes, type ChartPoint } from './uptime.ts'
import { withBeat } from './heartbeat-bar.ts'
import type { CertFacts } from './probes.ts'

/**
 * `pending`: a check failed and is being retried (Uptime Kuma's PENDING); DOWN after the retries.
 * `maintenance`: in a maintenance window (not checked); `paused` by an admin (not checked).
 */
export type Status = 'up' | 'down' | 'degraded' | 'pending' | 'unknown' | 'maintenance' | 'paused'

export interface StatusRow {
  id: number
  service_name: string
  status: Status | null
  response_time_ms: number | null
  last_check_at: Date | null
  uptime_percentage: string | number | null
  display_name: string
  source: TargetSource
  target: string | null
  message: string | null
  severity: Severity
  interval_ms: number
  consecutive_failures: number
  next_check_at: Date | null
  status_since: Date | null
  details: Record<string, unknown> | null
  /** Kept by each check (below): what the board shows without summing history per view. */
  uptime_24h: number | null
  uptime_7d: number | null
  uptime_30d: number | null
  /** What an HTTPS target last presented, and the smallest warning threshold announced for it. */
  cert_expires_at: Date | null
  cert_issuer: string | null
  cert_warned_days: number | null
  /** Set while an admin has paused its checks. */
  paused_at: Date | null
  /** The last 50 results, one letter each, newest last (heartbeat-bar.ts). */
  heartbeats: string
  /** The last 24 hours' hourly points as of the last check (JSON: `at` is a string). */
  sparkline: ChartPoint[] | null
}

/**
 * Makes the status rows match the targets: new ones due now, gone ones removed (their
 * history ages out). Rows already right are left alone (this runs every tick in every
 * process). Returns whether any row was added, changed or removed.
 */
export async function syncTargets(db: Knex, targets: Target[], now: Date): Promise<boolean> {
  let changed = 0
  if (targets.length) {
    // Rows in name order, as claimDue locks them: every process syncs and claims each
    // tick, and two statements locking the same rows in different orders deadlock.
    const ordered = [...targets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const written = await db('service_status')
      .insert(ordered.map((t) => ({
        service_name: t.name, display_name: t.displayName, source: t.source, target: t.target,
        severity: t.severity, interval_ms: t.intervalMs, next_check_at: now,
      })))
      .onConflict('service_name')
      .merge(['display_name', 'source', 'target', 'severity', 'interval_ms'])
      .whereRaw(`(service_status.display_name, service_status.source, service_status.target, service_status.severity, service_status.interval_ms)
        is distinct from (excluded.display_name, excluded.source, excluded.target, excluded.severity, excluded.interval_ms)`)
      .returning('service_name')
    changed += written.length
  }
  const names = targets.map((t) => t.name)
  changed += await db('service_status').whereIn('source', ['service', 'check'])
    .modify((q) => { if (names.length) q.whereNotIn('service_name', names) })
    .del()
  // Without an enabled uptime-kuma service there is nothing to mirror.
  if (!targets.some((t) => t.kind === 'kuma-import')) changed += await db('service_status').where({ source: 'kuma' }).del()
  return changed > 0
}

/** Claims the due targets among `names`: they are this caller's to check, and nobody else's until their next interval. */
export async function claimDue(db: Knex, names: string[], now: Date): Promise<string[]> {
  if (!names.length) return []
  const { rows } = await db.raw(
    // The next check is due one interval after this one was due (not after it was claimed), so a
    // late claim does not push every later check back; after a long gap (a restart) it counts from now.
    `update service_status s set next_check_at = case
       when s.next_check_at is null or s.next_check_at + s.interval_ms * interval '1 millisecond' <= ?::timestamptz
         then ?::timestamptz + s.interval_ms * interval '1 millisecond'
       else s.next_check_at + s.interval_ms * interval '1 millisecond' end
     from (select service_name from service_status
           where service_name = any(?::text[]) and (next_check_at is null or next_check_at <= ?) and paused_at is null
           order by service_name for update) due
     where s.service_name = due.service_name
     returning s.service_name`,
    [now, now, names, now],
  )
  return rows.map((r: { service_name: string }) => r.service_name)
}

/** An admin pauses a target's checks (nothing is recorded while paused) or resumes them (checked at once). */
export async function setPaused(db: Knex, name: string, paused: boolean, now: Date): Promise<boolean> {
  const changed = await db('service_status').where({ service_name: name }).whereIn('source', ['service', 'check'])
    .modify((q) => (paused ? q.whereNull('paused_at') : q.whereNotNull('paused_at')))
    .update(paused
      ? { paused_at: now, status: 'paused', status_since: now, consecutive_failures: 0 }
      : { paused_at: null, status: null, status_since: now, next_check_at: now })
  return changed > 0
}

/** Makes a target due now (a service changed in the admin pages). */
export async function makeDue(db: Knex, name: string, now: Date): Promise<void> {
  await db('service_status').where({ service_name: name }).update({ next_check_at: now })
}

export interface CheckOutcome {
  ok: boolean
  responseTimeMs: number | null
  message: string
  /** The certificate an HTTPS target presented. */
  cert?: CertFacts
  /** Set by the Uptime Kuma import: the status Kuma reported, verbatim. */
  status?: Status
  details?: Record<string, unknown>
}

export interface RecordSettings {
  /** Days before expiry when admins are warned (descending), once per threshold. */
  certWarnDays?: number[]
  /** Failed checks that leave the service pending before it is DOWN (the target's, or 0 for a mirror: Kuma retried already). */
  retries: number
  /** How soon a pending service is checked again. */
  retryIntervalMs: number
  degradedAboveMs: number
}

export interface Recorded { before: Status | null; after: Status; opened: IncidentRow | null; resolved: boolean }

export function statusOf(outcome: CheckOutcome, degradedAboveMs: number): Status {
  if (outcome.status) return outcome.status
  if (!outcome.ok) return 'down'
  return outcome.responseTimeMs !== null && outcome.responseTimeMs > degradedAboveMs ? 'degraded' : 'up'
}

export async function recordResult(
  trx: Knex.Transaction, events: Events, name: string, outcome: CheckOutcome, now: Date, settings: RecordSettings,
): Promise<Recorded> {
  const row = await trx<StatusRow>('service_status').where({ service_name: name }).forUpdate().first()
  if (!row) throw new Error(`no status row for ${name}`)
  // Paused while this check ran: an admin's pause wins over a result that was in flight
  // (it would overwrite "Paused" and count toward an incident nobody is watching for).
  if (row.paused_at !== null) return { before: row.status, after: row.status ?? 'paused', opened: null, resolved: false }
  const measured = statusOf(outcome, settings.degradedAboveMs)
  // Maintenance is no result: no sample for the uptime figures, no incident opened or resolved.
  const resting = measured === 'maintenance'
  const bad = measured !== 'up' && !resting
  const failures = bad ? row.consecutive_failures + 1 : 0
  // Uptime Kuma's retries: the first `retries` failures in a row leave the service pending.
  const status: Status = measured === 'down' && !outcome.status && failures <= settings.retries ? 'pending' : measured
  // Pending counts as down in the uptime figures, as in Kuma (it is a failed check).
  const isUp = status === 'up' || status === 'degraded'
  const metrics: Array<Record<string, unknown>> = resting ? [] : [{ service_name: name, metric_name: 'up', metric_value: isUp ? 1 : 0, timestamp: now }]
  if (!resting && outcome.responseTimeMs !== null && outcome.responseTimeMs >= 0) {
    metrics.push({ service_name: name, metric_name: 'response_time_ms', metric_value: outcome.responseTimeMs, timestamp: now })
  }
  if (metrics.length) await trx('service_metrics').insert(metrics)

  const facts = { serviceName: name, displayName: row.display_name }
  const open = await trx<IncidentRow>('service_incidents').where({ service_name: name, status: 'open' }).first()
  let opened: IncidentRow | null = null
  let resolved = false
  if (resting) {
    // An incident open when the window began stays open: the first check after it tells.
  } else if (!bad && open) {
    await resolveIncident(trx, events, open, { ...facts, by: 'check' }, now)
    resolved = true
  } else if (bad && open && open.incident_type === 'degraded' && status === 'down') {
    // Slow became unreachable: the same incident, now the worse kind.
    await trx('service_incidents').where({ id: open.id }).update({ incident_type: 'down' })
  } else if (!open && (status === 'down' || (status === 'degraded' && failures > settings.retries))) {
    // An incident opens when the service is DOWN (its retries spent), or slow as many checks in a row.
    opened = await openIncident(trx, events, { ...facts, type: status === 'down' ? 'down' : 'degraded', severity: row.severity, reason: outcome.message, failures }, now)
  }

  const cert = await certificateNews(trx, events, row, outcome, now, settings.certWarnDays ?? [])

  // The board's figures, kept here so a view reads them instead of summing a month of
  // rollups per service (this row is locked: two results for one target queue here).
  const figures = (await uptimes(trx, [name], now)).get(name)
  // A young service has an hour or two of history: its 5-minute points, not one hourly dot.
  let points = (await hourlyPointsMany(trx, [name], now)).get(name) ?? []
  if (points.length <= 2) points = await chartPoints(trx, name, DAY_MS, now)
  await trx('service_status').where({ service_name: name }).update({
    status, response_time_ms: outcome.responseTimeMs !== null && outcome.responseTimeMs >= 0 ? Math.round(outcome.responseTimeMs) : null,
    last_check_at: now, message: outcome.message.slice(0, 2000), consecutive_failures: failures,
    uptime_percentage: figures?.d30 == null ? null : Math.round(figures.d30 * 100) / 100,
    uptime_24h: figures?.d1 ?? null, uptime_7d: figures?.d7 ?? null, uptime_30d: figures?.d30 ?? null,
    sparkline: JSON.stringify(points),
    heartbeats: withBeat(row.heartbeats, status),
    ...cert,
    status_since: row.status === status && row.status_since ? row.status_since : now,
    details: outcome.details ? JSON.stringify(outcome.details) : row.details ? JSON.stringify(row.details) : null,
    // A pending service is checked again after the retry interval, not the whole interval.
    ...(status === 'pending' ? { next_check_at: trx.raw('least(next_check_at, ?::timestamptz)', [new Date(now.getTime() + settings.retryIntervalMs)]) } : {}),
  })
  return { before: row.status, after: status, opened, resolved }
}

export const CERT_EXPIRING = 'monitor.certificate.expiring'

/**
 * The certificate's columns after this check, and its warning: when the days left fall to a
 * threshold (21, 7) not yet announced for this certificate, one event for admins. A renewed
 * certificate (another expiry) starts the thresholds again.
 */
async function certificateNews(trx: Knex.Transaction, events: Events, row: StatusRow, outcome: CheckOutcome, now: Date, thresholds: number[]) {
  if (!outcome.cert) return {}
  const expires = new Date(outcome.cert.expiresAt)
  const renewed = !row.cert_expires_at || new Date(row.cert_expires_at).getTime() !== expires.getTime()
  let warned = renewed ? null : row.cert_warned_days
  const daysLeft = Math.floor((expires.getTime() - now.getTime()) / 86_400_000)
  const due = thresholds.filter((t) => daysLeft <= t && (warned === null || t < warned))
  if (due.length && daysLeft >= 0) {
    warned = Math.min(...due)
    await events.emit(CERT_EXPIRING, {
      serviceName: row.service_name, displayName: row.display_name, daysLeft, threshold: warned, expiresAt: expires.toISOString(), issuer: outcome.cert.issuer,
    }, { trx })
  }
  return { cert_expires_at: expires, cert_issuer: outcome.cert.issuer, cert_warned_days: warned }
}

export async function statusRows(db: Knex): Promise<StatusRow[]> {
  return db<StatusRow>('service_status').orderByRaw(`case source when 'service' then 0 when 'check' then 1 else 2 end`).orderBy('display_name')
}

export type BoardRow = Pick<StatusRow, 'service_name' | 'display_name' | 'status' | 'response_time_ms' | 'last_check_at' | 'target' | 'message' | 'source' | 'uptime_24h' | 'uptime_7d' | 'uptime_30d' | 'heartbeats' | 'cert_expires_at'> & {
  open_incident: boolean
  /** The sparkline's points as JSON text: parsed only when the board has not drawn them yet. */
  sparkline_json: string | null
}

/** The board's rows, each with whether it has an open incident, in one round trip. */
export async function boardRows(db: Knex): Promise<BoardRow[]> {
  return db('service_status as s')
    .select('s.service_name', 's.display_name', 's.status', 's.response_time_ms', 's.last_check_at', 's.target', 's.message', 's.source',
      's.uptime_24h', 's.uptime_7d', 's.uptime_30d', 's.heartbeats', 's.cert_expires_at', db.raw('s.sparkline::text as sparkline_json'),
      db.raw(`exists (select 1 from service_incidents i where i.service_name = s.service_name and i.status = 'open') as open_incident`))
    .orderByRaw(`case s.source when 'service' then 0 when 'check' then 1 else 2 end`).orderBy('s.display_name')
}

export async function statusRow(db: Knex, name: string): Promise<StatusRow | undefined> {
  return db<StatusRow>('service_status').where({ service_name: name }).first()
}
