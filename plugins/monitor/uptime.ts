// Uptime and response-time figures over a window, from hourly rollups for the hours
// already rolled up and raw rows for the rest. The window starts on an hour boundary,
// so the same window gives the same figure before and after a rollup.
import type { Knex } from 'medianest/plugin-api'

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS

export const floorHour = (d: Date) => new Date(Math.floor(d.getTime() / HOUR_MS) * HOUR_MS)

/** The first instant not yet rolled up for this service (-infinity when none is). */
export function rolledThrough(db: Knex, service: string): Knex.Raw {
  return db.raw(`coalesce((select max(hour) + interval '1 hour' from service_metrics_hourly where service_name = ?), '-infinity'::timestamptz)`, [service])
}

export interface UptimeFigure { up: number; samples: number; percent: number | null }

/** Uptime of one service over the `windowMs` before `now` (window start floored to the hour). */
export async function uptime(db: Knex, service: string, windowMs: number, now: Date): Promise<UptimeFigure> {
  const since = floorHour(new Date(now.getTime() - windowMs))
  const { rows } = await db.raw(
    `with through as (select ${'coalesce((select max(hour) + interval \'1 hour\' from service_metrics_hourly where service_name = ?), \'-infinity\'::timestamptz)'} as at)
     select coalesce(sum(up), 0)::int as up, coalesce(sum(n), 0)::int as samples from (
       select sum(up_count) as up, sum(samples) as n from service_metrics_hourly where service_name = ? and hour >= ? and hour <= ?
       union all
       select sum(metric_value), count(*) from service_metrics, through
        where service_name = ? and metric_name = 'up' and timestamp >= greatest(?::timestamptz, through.at) and timestamp <= ?
     ) parts`,
    [service, service, since, now, service, since, now],
  )
  const { up, samples } = rows[0] as { up: number; samples: number }
  return { up, samples, percent: samples ? (up / samples) * 100 : null }
}

/** 24 h, 7 d and 30 d uptime for many services in one round trip each. */
export async function uptimes(db: Knex, services: string[], now: Date): Promise<Map<string, { d1: number | null; d7: number | null; d30: number | null }>> {
  const out = new Map<string, { d1: number | null; d7: number | null; d30: number | null }>()
  if (!services.length) return out
  const s1 = floorHour(new Date(now.getTime() - DAY_MS))
  const s7 = floorHour(new Date(now.getTime() - 7 * DAY_MS))
  const s30 = floorHour(new Date(now.getTime() - 30 * DAY_MS))
  // One LATERAL per service, so each reads its own index range (a join over all of
  // service_metrics would scan it).
  const { rows } = await db.raw(
    `with names as (select unnest(?::text[]) as name),
     through as (
       select n.name, coalesce((select max(hour) + interval '1 hour' from service_metrics_hourly h where h.service_name = n.name), '-infinity'::timestamptz) as at
       from names n
     ),
     parts as (
       select service_name as name, hour as at, samples as n, up_count as up from service_metrics_hourly
        where service_name = any(?::text[]) and hour >= ? and hour <= ?
       union all
       select t.name, r.at, 1, r.up from through t cross join lateral (
         select m.timestamp as at, m.metric_value::int as up from service_metrics m
         where m.service_name = t.name and m.metric_name = 'up' and m.timestamp >= greatest(?::timestamptz, t.at) and m.timestamp <= ?
       ) r
     )
     select name,
       sum(up) filter (where at >= ?)::int as up1, sum(n) filter (where at >= ?)::int as n1,
       sum(up) filter (where at >= ?)::int as up7, sum(n) filter (where at >= ?)::int as n7,
       sum(up)::int as up30, sum(n)::int as n30
     from parts group by name`,
    [services, services, s30, now, s30, now, s1, s1, s7, s7],
  )
  const pct = (up: number | null, n: number | null) => (n ? ((up ?? 0) / n) * 100 : null)
  for (const r of rows as Array<Record<string, number | null> & { name: string }>) {
    out.set(r.name, { d1: pct(r.up1, r.n1), d7: pct(r.up7, r.n7), d30: pct(r.up30, r.n30) })
  }
  return out
}

export interface ChartPoint { at: Date; ms: number | null; up: number | null }

/**
 * Response times for a chart: 5-minute buckets of raw rows for 24 h; hourly rollups
 * (plus raw rows not yet rolled up, bucketed by hour) for longer windows. `ms` is the
 * average answer time in the bucket (null when nothing answered), `up` the up-fraction.
 */
export async function chartPoints(db: Knex, service: string, windowMs: number, now: Date): Promise<ChartPoint[]> {
  const since = new Date(now.getTime() - windowMs)
  if (windowMs <= DAY_MS) {
    const { rows } = await db.raw(
      `select to_timestamp(floor(extract(epoch from timestamp) / 300) * 300) as at,
              avg(metric_value) filter (where metric_name = 'response_time_ms') as ms,
              avg(metric_value) filter (where metric_name = 'up') as up
       from service_metrics where service_name = ? and metric_name in ('up', 'response_time_ms') and timestamp >= ? and timestamp <= ?
       group by 1 order by 1`,
      [service, since, now],
    )
    return rows.map(toPoint)
  }
  const { rows } = await db.raw(
    `with through as (select coalesce((select max(hour) + interval '1 hour' from service_metrics_hourly where service_name = ?), '-infinity'::timestamptz) as at)
     select hour as at, avg_ms as ms, up_count::float / nullif(samples, 0) as up from service_metrics_hourly
      where service_name = ? and hour >= ? and hour <= ?
     union all
     select date_trunc('hour', timestamp, 'UTC'),
            avg(metric_value) filter (where metric_name = 'response_time_ms'),
            avg(metric_value) filter (where metric_name = 'up')
     from service_metrics, through where service_name = ? and metric_name in ('up', 'response_time_ms')
       and timestamp >= greatest(?::timestamptz, through.at) and timestamp <= ?
     group by 1
     order by 1`,
    [service, service, floorHour(since), now, service, floorHour(since), now],
  )
  return rows.map(toPoint)
}

const toPoint = (r: { at: Date | string; ms: number | string | null; up: number | string | null }): ChartPoint => ({
  at: new Date(r.at), ms: r.ms === null ? null : Number(r.ms), up: r.up === null ? null : Number(r.up),
})

/** Hourly points of the last 24 h for many services in one query (the board's sparklines). */
export async function hourlyPointsMany(db: Knex, services: string[], now: Date): Promise<Map<string, ChartPoint[]>> {
  const out = new Map<string, ChartPoint[]>(services.map((s) => [s, []]))
  if (!services.length) return out
  const since = floorHour(new Date(now.getTime() - DAY_MS))
  const { rows } = await db.raw(
    `with names as (select unnest(?::text[]) as name),
     through as (
       select n.name, coalesce((select max(hour) + interval '1 hour' from service_metrics_hourly h where h.service_name = n.name), '-infinity'::timestamptz) as at
       from names n
     )
     select service_name as name, hour as at, avg_ms as ms, up_count::float / nullif(samples, 0) as up from service_metrics_hourly
      where service_name = any(?::text[]) and hour >= ? and hour <= ?
     union all
     select t.name, r.at, r.ms, r.up from through t cross join lateral (
       select date_trunc('hour', m.timestamp, 'UTC') as at,
              avg(m.metric_value) filter (where m.metric_name = 'response_time_ms') as ms,
              avg(m.metric_value) filter (where m.metric_name = 'up') as up
       from service_metrics m
       where m.service_name = t.name and m.metric_name in ('up', 'response_time_ms') and m.timestamp >= greatest(?::timestamptz, t.at) and m.timestamp <= ?
       group by 1
     ) r
     order by 1, 2`,
    [services, services, since, now, since, now],
  )
  for (const r of rows as Array<{ name: string; at: Date; ms: number | null; up: number | null }>) out.get(r.name)?.push(toPoint(r))
  return out
}
