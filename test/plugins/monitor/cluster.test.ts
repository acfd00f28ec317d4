// Two MediaNest processes on one PostgreSQL database: each target is checked once per
// interval in total, however the two processes' rounds overlap.
import { expect } from 'chai'
import { onPostgres } from '../../support/test-db.ts'
import { waitFor } from '../../support/wait-for.ts'
import { startTestHost, type TestHost } from '../../support/test-host.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'
import { runDueChecks } from '../../../plugins/monitor/checks.ts'
import { addService, signedInAdmin, startMonitorHost, testClock } from './monitor-harness.ts'
import { startTargetServer, type TargetServer } from './target-server.ts'

describe('monitor: two processes on one PostgreSQL', function () {
  this.timeout(120_000)
  let first: TestHost
  let second: TestHost
  let a: MonitorContext
  let b: MonitorContext
  let target: TargetServer

  before(async function () {
    if (!onPostgres) return this.skip()
    target = await startTargetServer({ kind: 'slow', ms: 50 })
    ;({ host: first, ctx: a } = await startMonitorHost({ interval: '1m' }))
    second = await startTestHost({ database: first.database, plugins: { monitor: { enabled: true, config: { interval: '1m' } } } })
    await second.app.scheduler.stop(5000)
    b = second.app.host.plugins.find((p) => p.name === 'monitor')!.ctx as MonitorContext
  })
  after(async () => {
    await second?.stop()
    await first?.stop()
    await target?.close()
  })

  it('checks each of 12 services once per interval in total, never twice', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `svc-${i}`)
    for (const n of names) await addService(first, n, `${target.url}/${n}`)
    const clock = testClock()
    for (let round = 1; round <= 3; round++) {
      const now = round === 1 ? clock.now() : clock.advance(60_000)
      const [x, y] = await Promise.all([runDueChecks(a, now), runDueChecks(b, now)])
      expect(x + y, `round ${round}`).to.equal(12)
      // And a straggler later in the same interval finds nothing due.
      expect(await runDueChecks(b, new Date(now.getTime() + 30_000))).to.equal(0)
    }
    expect(target.hits).to.equal(36)
    const counts = await first.db('service_metrics').where({ metric_name: 'up' }).whereIn('service_name', names)
      .groupBy('service_name').select('service_name').count('* as n')
    expect(counts.map((c) => Number(c.n))).to.deep.equal(names.map(() => 3))
  })

  it('shows in each process the board as the other process last checked it (each keeps it rendered)', async () => {
    const flaky = await startTargetServer()
    try {
      await addService(first, 'board-svc', `${flaky.url}/`)
      const viewers = [(await signedInAdmin(first)).client, (await signedInAdmin(second)).client]
      const rowOf = async (client: (typeof viewers)[number]) => {
        const html = (await client.get('/monitor')).text
        const start = html.indexOf('id="monitor-row-board-svc"')
        return start < 0 ? '' : html.slice(start, html.indexOf('</tr>', start))
      }
      // Later than anything the other test's clock reached: every target is due.
      const clock = testClock(new Date(Date.now() + 3_600_000))
      await runDueChecks(a, clock.now())
      for (const viewer of viewers) expect(await rowOf(viewer)).to.contain('Up').and.not.contain('Down')

      flaky.set({ kind: 'status', code: 500 })
      await runDueChecks(a, clock.advance(60_000))
      // Well inside the cache's 60 s bound: only the first process's notice can have dropped the second's copy.
      for (const viewer of viewers) {
        // One failed check with the default retry: pending.
        await waitFor('the board of each process to show the failed check', async () => (await rowOf(viewer)).includes('Pending'), 5000)
      }
    } finally {
      await flaky.close()
    }
  })
})
