// The schedule's precision and each check publishing itself: the next check is due one
// interval after the last was due (a late claim does not push every later check back; after
// a long gap it counts from now); a hanging target does not hold back another's result or
// its live nudge; a window wakes at the due time of a service between ticks; shutdown stops
// a running check without recording it as a failure.
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import type { TestHost } from '../../support/test-host.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'
import { checkWindow, recording, runDueChecks, stopChecks } from '../../../plugins/monitor/checks.ts'
import { addService, clearMonitor, startMonitorHost, testClock } from './monitor-harness.ts'
import { startTargetServer, type TargetServer } from './target-server.ts'

describe('monitor: scheduling and publishing each result', function () {
  this.timeout(60_000)
  let host: TestHost
  let ctx: MonitorContext
  let fast: TargetServer
  let hanging: TargetServer

  before(async () => {
    fast = await startTargetServer()
    hanging = await startTargetServer({ kind: 'hang' })
    ;({ host, ctx } = await startMonitorHost({ interval: '20s', timeout: '3s', retries: 0 }))
  })
  after(async () => {
    await host?.stop()
    await fast?.close()
    await hanging?.close()
  })
  beforeEach(async () => { await clearMonitor(host) })

  const status = (name: string) => host.db('service_status').where({ service_name: name }).first()
  const nudges = async () => Number((await host.db('live_events').where({ event: 'monitor-status-changed' }).count('* as n'))[0].n)

  it('keeps each service on its own beat: due one interval after it was due, from now after a long gap', async () => {
    await addService(host, 'steady', fast.url)
    const clock = testClock()
    const start = clock.now().getTime()
    await runDueChecks(ctx, clock.now(), { only: ['steady'] })
    expect(new Date((await status('steady')).next_check_at).getTime()).to.equal(start + 20_000)
    // Claimed 3 s late: the next is still 40 s after the start, not 43 s.
    expect(await runDueChecks(ctx, clock.advance(23_000), { only: ['steady'] })).to.equal(1)
    expect(new Date((await status('steady')).next_check_at).getTime()).to.equal(start + 40_000)
    // Ten minutes away (a restart): counted from now, not a burst of catch-up checks.
    const later = clock.advance(10 * 60_000)
    expect(await runDueChecks(ctx, later, { only: ['steady'] })).to.equal(1)
    expect(new Date((await status('steady')).next_check_at).getTime()).to.equal(later.getTime() + 20_000)
    expect(await runDueChecks(ctx, clock.advance(1000), { only: ['steady'] })).to.equal(0)
  })

  it("publishes a fast check's result while another target hangs", async () => {
    await addService(host, 'quick', fast.url)
    await addService(host, 'stuck', hanging.url)
    const before = await nudges()
    expect(await runDueChecks(ctx, new Date(), { detach: true })).to.equal(2)
    // The quick one is on the board (and pages were nudged) while the stuck one still waits.
    await waitFor('the quick result', async () => (await status('quick'))?.status === 'up')
    expect((await status('stuck')).last_check_at).to.equal(null)
    // The nudge follows the result's commit: under load it may land a moment after the row.
    await waitFor('the pages to be nudged', async () => (await nudges()) > before)
    const stuck = await waitFor('the stuck check to time out', async () => { const r = await status('stuck'); return r?.status === 'down' ? r : undefined }, 20_000)
    expect(stuck.message).to.match(/did not answer within 3 s|timed out/i)
  })

  it('wakes within a window at the due time of a service, without waiting for the next tick', async () => {
    await addService(host, 'soon', fast.url)
    await runDueChecks(ctx, new Date(), { only: ['soon'] })
    // Due in 1.2 s: a 3 s window checks it then.
    await host.db('service_status').where({ service_name: 'soon' }).update({ next_check_at: new Date(Date.now() + 1200) })
    const first = new Date((await status('soon')).last_check_at).getTime()
    const began = Date.now()
    await checkWindow(ctx, 3000, new AbortController().signal)
    const row = await waitFor('the second check', async () => { const r = await status('soon'); return new Date(r.last_check_at).getTime() > first ? r : undefined })
    const at = new Date(row.last_check_at).getTime() - began
    expect(at).to.be.within(1100, 2900)
  })

  it('ends its window on time beside a paused service that stays due (it does not spin until its lease runs out)', async () => {
    await addService(host, 'resting', fast.url)
    await runDueChecks(ctx, new Date(), { only: ['resting'] })
    await host.db('service_status').where({ service_name: 'resting' }).update({ paused_at: new Date(), status: 'paused', next_check_at: new Date(Date.now() - 60_000) })
    // The run's own bound: a window that spun would be ended by it, not by its 1 s.
    const bound = AbortSignal.timeout(8000)
    const began = Date.now()
    await checkWindow(ctx, 1000, bound)
    expect(bound.aborted, 'the window had to be stopped').to.equal(false)
    expect(Date.now() - began).to.be.below(5000)
    expect((await status('resting')).status).to.equal('paused')
  })

  it('records a result again when its transaction fails (the database blinked), instead of losing it', async () => {
    await addService(host, 'blinky', fast.url)
    await runDueChecks(ctx, new Date(), { only: ['blinky'] })
    let tries = 0
    // The first two tries fail as a lost connection would; the third writes.
    const written = await recording(ctx, 'blinky', async () => {
      tries += 1
      if (tries <= 2) throw new Error('Connection terminated unexpectedly')
      return ctx.db('service_status').where({ service_name: 'blinky' }).update({ message: 'written on the third try' })
    })
    expect(tries).to.equal(3)
    expect(written).to.equal(1)
    expect((await status('blinky')).message).to.equal('written on the third try')
    // A database that stays down: the error comes through after the last try.
    let attempts = 0
    const gone = await recording(ctx, 'blinky', async () => { attempts += 1; throw new Error('still down') }).catch((e: Error) => e)
    expect((gone as Error).message).to.equal('still down')
    expect(attempts).to.equal(3)
  })

  // Last: it stops this host's checks for good.
  it('stops a running check at shutdown without recording it as a failure', async () => {
    await addService(host, 'cut-off', hanging.url)
    const hits = hanging.hits
    await runDueChecks(ctx, new Date(), { detach: true })
    await waitFor('the check to reach the target', () => hanging.hits > hits)
    const began = Date.now()
    await stopChecks(ctx)
    expect(Date.now() - began).to.be.lessThan(2500)
    expect((await status('cut-off')).last_check_at).to.equal(null)
    expect(await host.db('service_metrics').where({ service_name: 'cut-off' })).to.deep.equal([])
  })
})
