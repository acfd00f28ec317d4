// What the pages show, as plain data: the board's rows (with 24 h / 7 d / 30 d uptime and
// a sparkline), one service's page, the widget. Admin-only detail (addresses, reasons,
// incident descriptions and notes) is left out here for everyone else, before any
// template sees it.
import type { Knex, Viewer } from 'medianest/plugin-api'
import { boardRows, statusRow, statusRows, type BoardRow, type StatusRow } from './service-status.ts'
import { chartPoints, DAY_MS, uptimes, type ChartPoint } from './uptime.ts'
import { responseChart, sparkline } from './charts.ts'
import { incidentsOf } from './incidents.ts'
import { heartbeatBar } from './heartbeat-bar.ts'

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(Math.floor(v * 100) / 100).toFixed(2)} %`)
/** Writes a date for the page's reader: (d, style) => ctx.http.formatDate(req, d, style). */
export type DateWriter = (date: Date, style?: 'date' | 'datetime' | 'time') => string
/** A date as a page prints it: `<time datetime="iso" data-style="style">text</time>`, the text in its reader's zone. */
export interface ShownDate { iso: string; text: string; style: 'date' | 'datetime' }
export function shown(d: Date, write: DateWriter, style?: ShownDate['style']): ShownDate
export function shown(d: Date | null, write: DateWriter, style?: ShownDate['style']): ShownDate | null
export function shown(d: Date | null, write: DateWriter, style: ShownDate['style'] = 'datetime'): ShownDate | null {
  if (!d) return null
  const date = new Date(d)
  return { iso: date.toISOString(), text: write(date, style), style }
}
/** A span in words: "40 s", "12 min", "3 h 5 min", "2 days 4 h". */
export function inWords(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`
  const d = Math.floor(h / 24)
  return h % 24 ? `${d} days ${h % 24} h` : `${d} days`
}
/** Whole days until a certificate expires (negative once it has), or null without one. */
export const certDaysLeft = (expires: Date | null, now: Date) => (expires ? Math.floor((new Date(expires).getTime() - now.getTime()) / 86_400_000) : null)
const domId = (name: string) => name.toLowerCase().replace(/[^a-z0-9-]/g, '-')

/**
 * Each row's sparkline as its last check left it: drawn once per check, not on every view
 * by every viewer (50 of them made the board's CPU cost). Keyed by everything the
 * drawing is made of, so it can never show another check's points.
 */
const drawn = new Map<string, { key: string; svg: string }>()

function drawnSparkline(r: BoardRow, now: Date, services: number): string {
  const to = r.last_check_at ? new Date(r.last_check_at) : now
  const key = `${to.getTime()}\n${r.display_name}\n${r.sparkline_json}`
  const hit = drawn.get(r.service_name)
  if (hit?.key === key) return hit.svg
  const points: ChartPoint[] = (JSON.parse(r.sparkline_json ?? '[]') as Array<ChartPoint & { at: string }>).map((p) => ({ ...p, at: new Date(p.at) }))
  const { svg } = sparkline(points, spanFrom(points, new Date(to.getTime() - DAY_MS)), to, `${r.display_name}, last 24 hours`)
  // Services that are gone leave their drawing behind: start afresh now and then.
  if (drawn.size > 2 * services + 10) drawn.clear()
  drawn.set(r.service_name, { key, svg })
  return svg
}

/** A chart's start: its window's, or its first point's when the service is younger (its checks fill the width). */
export function spanFrom(points: ChartPoint[], windowFrom: Date): Date {
  const first = points.length > 1 ? points[0].at : null
  return first && first.getTime() > windowFrom.getTime() ? first : windowFrom
}

/**
 * What the board shows an admin (addresses and reasons too) or anyone else: the same for
 * every reader, so no date in it (its "Updated" line is written for each, around it).
 */
export async function boardData(db: Knex, isAdmin: boolean, now: Date) {
  const rows = await boardRows(db)
  const down = rows.filter((r) => r.status === 'down').length
  const slow = rows.filter((r) => r.status === 'degraded').length
  const pending = rows.filter((r) => r.status === 'pending').length
  const unknown = rows.filter((r) => r.status === 'unknown').length
  const resting = rows.filter((r) => r.status === 'maintenance' || r.status === 'paused').length
  const aside = resting ? ` ${resting} in maintenance or paused.` : ''
  return {
    isAdmin,
    summary: down || slow || pending || unknown
      ? `${down} down, ${slow} degraded, ${pending ? `${pending} pending (a failed check being retried), ` : ''}${unknown ? `${unknown} unknown (their source cannot be read), ` : ''}${rows.length - down - slow - pending - unknown - resting} of ${rows.length} up or not checked yet.${aside}`
      : `All ${rows.length - resting} ${resting ? 'others' : 'services'} up${rows.some((r) => !r.status) ? ' (some not checked yet)' : ''}.${aside}`,
    rows: rows.map((r) => ({
      name: r.service_name, domId: domId(r.service_name), displayName: r.display_name, status: r.status,
      responseTimeMs: r.response_time_ms, openIncident: Boolean(r.open_incident),
      target: isAdmin ? r.target : null, message: isAdmin ? r.message : null,
      d1: pct(r.uptime_24h), d7: pct(r.uptime_7d), d30: pct(r.uptime_30d), heartbeats: heartbeatBar(r.heartbeats ?? ''), certDays: certDaysLeft(r.cert_expires_at, now),
      sparkline: drawnSparkline(r, now, rows.length),
    })),
  }
}

export const RANGES = { '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS } as const
export type Range = keyof typeof RANGES

export async function serviceData(db: Knex, viewer: Viewer, name: string, range: Range, now: Date, write: DateWriter) {
  const row = await statusRow(db, name)
  if (!row) return null
  const isAdmin = viewer.role === 'ADMIN'
  const figures = (await uptimes(db, [name], now)).get(name)
  const windowMs = RANGES[range]
  const points = await chartPoints(db, name, windowMs, now)
  const windowFrom = new Date(now.getTime() - windowMs)
  const from = spanFrom(points, windowFrom)
  const young = from.getTime() > windowFrom.getTime()
  const chart = responseChart(points, {
    width: 640, height: 200, from, to: now, stamp: write,
    label: `${row.display_name}: response time ${young ? `since its first check (${write(from)})` : `over the last ${range === '24h' ? '24 hours' : range === '7d' ? '7 days' : '30 days'}`}`,
  })
  const incidents = await incidentsOf(db, name)
  const details = (row.details ?? {}) as { kumaUptime24h?: number | null }
  return {
    isAdmin, range, chart,
    row: {
      name, displayName: row.display_name, status: row.status, since: shown(row.status_since, write), lastCheck: shown(row.last_check_at, write),
      responseTimeMs: row.response_time_ms, severity: row.severity,
      d1: pct(figures?.d1), d7: pct(figures?.d7), d30: pct(figures?.d30),
      kumaUptime: typeof details.kumaUptime24h === 'number' ? pct(details.kumaUptime24h * 100) : null,
      target: isAdmin ? row.target : null, message: isAdmin ? row.message : null,
      certDays: certDaysLeft(row.cert_expires_at, now), certExpires: shown(row.cert_expires_at, write, 'date'), certIssuer: row.cert_issuer,
      checkable: row.source !== 'kuma', pausable: row.source !== 'kuma', paused: row.paused_at !== null, heartbeats: heartbeatBar(row.heartbeats ?? '', { width: 300, height: 24 }),
    },
    incidents: incidents.map((i) => ({
      id: i.id, status: i.status, type: i.incident_type, severity: i.severity, createdAt: shown(i.created_at, write), resolvedAt: shown(i.resolved_at, write),
      lasted: inWords((i.resolved_at ? new Date(i.resolved_at).getTime() : now.getTime()) - new Date(i.created_at).getTime()),
      description: isAdmin ? i.description : null, note: isAdmin ? i.note : null,
    })),
  }
}

export async function widgetData(db: Knex) {
  const rows: StatusRow[] = await statusRows(db)
  return {
    total: rows.length,
    bad: rows.filter((r) => r.status === 'down' || r.status === 'degraded' || r.status === 'pending' || r.status === 'unknown').map((r) => ({ name: r.service_name, displayName: r.display_name, status: r.status })),
  }
}
