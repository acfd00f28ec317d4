// Keeps the tables small at any age: every complete hour of raw rows becomes one
// service_metrics_hourly row (samples, up count, average, p95, max); raw rows older than
// `rawRetention` and rollups older than a year are deleted. Hours are rolled up as soon
// as they are complete (not when raw rows expire), so 7- and 30-day figures read at
// most a day of raw rows; a minute of grace lets checks that straddle the hour land.
import type { Knex } from 'medianest/plugin-api'
import { DAY_MS, floorHour } from './uptime.ts'

export const ROLLUP_RETENTION_MS = 366 * DAY_MS
const GRACE_MS = 2 * 60_000

export async function rollUp(db: Knex, now: Date): Promise<number> {
  const cutoff = floorHour(new Date(now.getTime() - GRACE_MS))
  const { rowCount } = await db.raw(
    `insert into service_metrics_hourly (service_name, hour, samples, up_count, avg_ms, p95_ms, max_ms)
     select m.service_name, date_trunc('hour', m.timestamp, 'UTC'),
            count(*) filter (where m.metric_name = 'up'),
            coalesce(sum(m.metric_value) filter (where m.metric_name = 'up'), 0),
            avg(m.metric_value) filter (where m.metric_name = 'response_time_ms'),
            percentile_cont(0.95) within group (order by m.metric_value) filter (where m.metric_name = 'response_time_ms'),
            max(m.metric_value) filter (where m.metric_name = 'response_time_ms')
     from service_metrics m
     left join (select service_name, max(hour) + interval '1 hour' as at from service_metrics_hourly group by service_name) done
       on done.service_name = m.service_name
     where m.metric_name in ('up', 'response_time_ms') and m.timestamp < ?
       and m.timestamp >= coalesce(done.at, '-infinity'::timestamptz)
     group by 1, 2
     having count(*) filter (where m.metric_name = 'up') > 0
     on conflict (service_name, hour) do nothing`,
    [cutoff],
  )
  return rowCount ?? 0
}

export async function applyRetention(db: Knex, now: Date, rawRetentionMs: number): Promise<{ raw: number; hourly: number }> {
  // Never delete a raw row that is not rolled up yet, whatever the retention says.
  const raw = await db('service_metrics')
    .where('timestamp', '<', new Date(now.getTime() - rawRetentionMs))
    .where('timestamp', '<', floorHour(new Date(now.getTime() - GRACE_MS)))
    .whereRaw(`timestamp < coalesce((select max(hour) + interval '1 hour' from service_metrics_hourly h where h.service_name = service_metrics.service_name), '-infinity'::timestamptz)`)
    .del()
  const hourly = await db('service_metrics_hourly').where('hour', '<', new Date(now.getTime() - ROLLUP_RETENTION_MS)).del()
  await db('service_incidents').where({ status: 'resolved' }).where('resolved_at', '<', new Date(now.getTime() - ROLLUP_RETENTION_MS)).del()
  return { raw: Number(raw), hourly: Number(hourly) }
}
