// Uptime arithmetic against hand-computed cases, and rollups that keep the figures:
// the same 24 h / 7 d / 30 d uptime before and after raw rows are rolled up and aged out.
import { expect } from 'chai'
import type { TestHost } from '../../support/test-host.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'
import { DAY_MS, HOUR_MS, chartPoints, uptime, uptimes } from '../../../plugins/monitor/uptime.ts'
import { applyRetention, rollUp } from '../../../plugins/monitor/rollups.ts'
import { clearMonitor, startMonitorHost } from './monitor-harness.ts'
import { recordResult } from '../../../plugins/monitor/service-status.ts'
import { boardData } from '../../../plugins/monitor/board.ts'
import * as figuresMigration from '../../../plugins/monitor/migrations/202612060001_service_status_figures.ts'

describe('monitor: uptime and hourly rollups', function () {
  this.timeout(60_000)
  let host: TestHost
  let ctx: MonitorContext
  // A fixed "now" in the middle of an hour, so hour boundaries are easy to reason about.
  const now = new Date('2026-11-30T12:30:00.000Z')

  before(async () => { ({ host, ctx } = await startMonitorHost()) })
  after(async () => { await host?.stop() })
  beforeEach(async () => { await clearMonitor(host) })

  /** One check: an 'up' row and, when it answered, a response time. */
  const check = (service: string, at: Date, up: boolean, ms: number | null) => [
    { service_name: service, metric_name: 'up', metric_value: up ? 1 : 0, timestamp: at },
    ...(ms === null ? [] : [{ service_name: service, metric_name: 'response_time_ms', metric_value: ms, timestamp: at }]),
  ]
  const seed = async (rows: Array<Record<string, unknown>>) => {
    for (let i = 0; i < rows.length; i += 5000) await host.db('service_metrics').insert(rows.slice(i, i + 5000))
  }

  it('computes uptime by hand-checkable cases', async () => {
    // 4 checks in the last hour: up, down, up, up → 75 %.
    await seed([
      ...check('a', new Date(now.getTime() - 40 * 60_000), true, 10),
      ...check('a', new Date(now.getTime() - 30 * 60_000), false, null),
      ...check('a', new Date(now.getTime() - 20 * 60_000), true, 30),
      ...check('a', new Date(now.getTime() - 10 * 60_000), true, 50),
      // 3 days ago: 2 down → in 7 d and 30 d only: 3 up of 6.
      ...check('a', new Date(now.getTime() - 3 * DAY_MS), false, null),
      ...check('a', new Date(now.getTime() - 3 * DAY_MS + 60_000), false, null),
      // 20 days ago: 2 up → 30 d: 5 of 8.
      ...check('a', new Date(now.getTime() - 20 * DAY_MS), true, 10),
      ...check('a', new Date(now.getTime() - 20 * DAY_MS + 60_000), true, 10),
      // 40 days ago: outside every window.
      ...check('a', new Date(now.getTime() - 40 * DAY_MS), false, null),
    ])
    expect(await uptime(host.db, 'a', DAY_MS, now)).to.deep.equal({ up: 3, samples: 4, percent: 75 })
    expect((await uptime(host.db, 'a', 7 * DAY_MS, now)).percent).to.equal(50)
    expect((await uptime(host.db, 'a', 30 * DAY_MS, now)).percent).to.equal(62.5)
    expect((await uptimes(host.db, ['a', 'never-checked'], now)).get('a')).to.deep.equal({ d1: 75, d7: 50, d30: 62.5 })
    expect((await uptime(host.db, 'never-checked', DAY_MS, now)).percent).to.equal(null)
  })

  it('each check keeps the board\'s figures on the status row, and the migration that added them fills them in', async () => {
    await host.db('service_status').insert({ service_name: 'a', display_name: 'A', source: 'check', interval_ms: 60_000 })
    await seed([
      ...check('a', new Date(now.getTime() - 40 * 60_000), true, 10),
      ...check('a', new Date(now.getTime() - 30 * 60_000), false, null),
      ...check('a', new Date(now.getTime() - 3 * DAY_MS), false, null),
      ...check('a', new Date(now.getTime() - 20 * DAY_MS), true, 10),
    ])
    // With this check: 24 h 2 of 3 up, 7 d 2 of 4, 30 d 3 of 5.
    await host.db.transaction((trx) => recordResult(trx, ctx.events, 'a', { ok: true, responseTimeMs: 20, message: 'OK' }, now, { retries: 2, retryIntervalMs: 20_000, degradedAboveMs: 5000 }))
    const board = async () => (await boardData(host.db, true, new Date(now.getTime() + 5 * 60_000))).rows[0]
    const kept = await board()
    expect([kept.d1, kept.d7, kept.d30]).to.deep.equal(['66.66 %', '50.00 %', '60.00 %'])
    expect(kept.sparkline).to.contain('<polyline')
    // No history is read per view: the figures are the row's, whatever the history says now.
    await host.db('service_metrics').del()
    expect(await board()).to.deep.equal(kept)

    await host.db('service_metrics').insert(check('a', new Date(now.getTime() - 40 * 60_000), true, 10))
    await figuresMigration.down(host.db)
    await figuresMigration.up(host.db)
    const filled = await board()
    expect([filled.d1, filled.d7, filled.d30]).to.deep.equal(['100.00 %', '100.00 %', '100.00 %'])
  })

  it('rolls complete hours up, keeps the figures, and deletes raw rows past retention', async () => {
    // 10 days of one check a minute; every 7th down; answer time varies with the minute.
    const rows: Array<Record<string, unknown>> = []
    const start = now.getTime() - 10 * DAY_MS
    for (let t = start, i = 0; t < now.getTime(); t += 60_000, i++) rows.push(...check('b', new Date(t), i % 7 !== 0, i % 7 === 0 ? null : 20 + (i % 60)))
    await seed(rows)
    const before = await uptimes(host.db, ['b'], now)
    const chartBefore = await chartPoints(host.db, 'b', 7 * DAY_MS, now)

    const hours = await rollUp(host.db, now)
    expect(hours).to.equal(10 * 24) // every complete hour before 12:00, none of the current one
    expect(await rollUp(host.db, now)).to.equal(0) // idempotent
    const removed = await applyRetention(host.db, now, 7 * DAY_MS)
    expect(removed.raw).to.be.greaterThan(0)
    const oldest = await host.db('service_metrics').where({ service_name: 'b' }).min('timestamp as t').first()
    expect(new Date(oldest!.t).getTime()).to.be.at.least(now.getTime() - 7 * DAY_MS)

    const after = await uptimes(host.db, ['b'], now)
    expect(after.get('b')).to.deep.equal(before.get('b'))
    // The 7-day chart reads the same averages from rollups as it did from raw rows.
    const chartAfter = await chartPoints(host.db, 'b', 7 * DAY_MS, now)
    expect(chartAfter.map((p) => [p.at.getTime(), Math.round(p.ms! * 1000), p.up])).to.deep.equal(chartBefore.map((p) => [p.at.getTime(), Math.round(p.ms! * 1000), p.up]))

    // One hour by hand: 60 checks, minutes i = k..k+59 of the series.
    const hour = new Date(Math.floor((now.getTime() - 5 * HOUR_MS) / HOUR_MS) * HOUR_MS)
    const row = await host.db('service_metrics_hourly').where({ service_name: 'b', hour }).first()
    const first = (hour.getTime() - start) / 60_000
    const idx = Array.from({ length: 60 }, (_, k) => first + k)
    const answered = idx.filter((i) => i % 7 !== 0).map((i) => 20 + (i % 60)).sort((x, y) => x - y)
    expect(row.samples).to.equal(60)
    expect(row.up_count).to.equal(answered.length)
    expect(row.max_ms).to.equal(Math.max(...answered))
    expect(row.avg_ms).to.be.closeTo(answered.reduce((s, v) => s + v, 0) / answered.length, 1e-9)
    // percentile_cont(0.95): linear between the two nearest ranks.
    const pos = 0.95 * (answered.length - 1)
    const p95 = answered[Math.floor(pos)] + (answered[Math.ceil(pos)] - answered[Math.floor(pos)]) * (pos - Math.floor(pos))
    expect(row.p95_ms).to.be.closeTo(p95, 1e-9)
  })

  it('ages out rollups after a year and never deletes raw rows that are not rolled up', async () => {
    await host.db('service_metrics_hourly').insert([
      { service_name: 'c', hour: new Date(now.getTime() - 400 * DAY_MS), samples: 60, up_count: 60 },
      { service_name: 'c', hour: new Date(Math.floor((now.getTime() - 300 * DAY_MS) / HOUR_MS) * HOUR_MS), samples: 60, up_count: 59 },
    ])
    await seed(check('d', new Date(now.getTime() - 30 * DAY_MS), true, 5))
    const removed = await applyRetention(host.db, now, 7 * DAY_MS)
    expect(removed.hourly).to.equal(1)
    // 'd' was never rolled up (the job did not run): its raw row stays until it is.
    expect(removed.raw).to.equal(0)
    expect(await host.db('service_metrics').where({ service_name: 'd' })).to.have.length(2)
    await rollUp(host.db, now)
    expect((await applyRetention(host.db, now, 7 * DAY_MS)).raw).to.equal(2)
    expect(ctx.config.rawRetention).to.equal('7d')
  })
})
