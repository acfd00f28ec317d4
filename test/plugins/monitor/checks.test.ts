// The checks: a loopback target goes up → down → an incident after N failures → up →
// resolved; flapping opens no incident per check; slow is degraded; every way a target
// can misbehave ends within the timeout with a reason; 20 hanging targets at
// concurrency 8 take about ceil(20/8) timeouts; other plugins' services are checked
// through their own health check; a service saved in the admin pages is checked at once.
import { fileURLToPath } from 'node:url'
import net from 'node:net'
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import type { TestHost } from '../../support/test-host.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'
import { runDueChecks } from '../../../plugins/monitor/checks.ts'
import { addService, clearMonitor, signedInAdmin, startMonitorHost, testClock } from './monitor-harness.ts'
import { startTargetServer, type TargetServer } from './target-server.ts'

const LISTENER = fileURLToPath(new URL('./fixtures/monitor-listener', import.meta.url))
const MINUTE = 60_000

describe('monitor: checks, status and incidents', function () {
  this.timeout(90_000)
  let host: TestHost
  let ctx: MonitorContext
  let target: TargetServer
  let tcpOpen: net.Server
  let tcpPort: number

  before(async () => {
    target = await startTargetServer()
    tcpOpen = net.createServer((s) => s.end())
    tcpPort = await new Promise<number>((resolve) => tcpOpen.listen(0, '127.0.0.1', () => resolve((tcpOpen.address() as net.AddressInfo).port)))
    ;({ host, ctx } = await startMonitorHost({
      // DOWN at the first failure unless a service sets retries (the lifecycle test does).
      interval: '1m', timeout: '1s', concurrency: 8, retries: 0, degradedAboveMs: 300,
      checks: [
        { name: 'tcp-open', label: 'An open port', tcp: `127.0.0.1:${tcpPort}` },
        { name: 'tcp-closed', tcp: '127.0.0.1:1', severity: 'high' },
      ],
    }, { plugins: { 'monitor-listener': { enabled: true, source: LISTENER } } }))
  })
  after(async () => {
    await host?.stop()
    await target?.close()
    await new Promise((resolve) => tcpOpen?.close(resolve))
  })
  beforeEach(async () => { await clearMonitor(host); target.set({ kind: 'up' }); await target.up() })

  const status = (name: string) => host.db('service_status').where({ service_name: name }).first()
  const incidents = (name: string) => host.db('service_incidents').where({ service_name: name }).orderBy('created_at')
  const deliveries = async (event: string) => Number((await host.db('jobs').where({ name: 'core.event-delivery' }).whereRaw(`payload->>'event' = ?`, [event]).count('* as n'))[0].n)

  it('goes up → pending → pending → down with an incident (2 retries) → up → resolved, with one event each way', async () => {
    await addService(host, 'web', target.url, { configData: { retries: '2', retryInterval: '20s' } })
    const clock = testClock()
    const opened0 = await deliveries('monitor.incident.opened')
    const resolved0 = await deliveries('monitor.incident.resolved')

    expect(await runDueChecks(ctx, clock.now(), { only: ['web'] })).to.equal(1)
    expect(await status('web')).to.include({ status: 'up', consecutive_failures: 0, source: 'service' })
    // Not due again until the interval has passed.
    expect(await runDueChecks(ctx, clock.advance(30_000), { only: ['web'] })).to.equal(0)

    // A status change nudges every open page (the board refetches itself on it); no change, no nudge.
    const nudges = async () => Number((await host.db('live_events').where({ event: 'monitor-status-changed', role: 'USER' }).count('* as n'))[0].n)
    const nudged = await nudges()
    await target.down()
    for (let i = 1; i <= 3; i++) {
      await runDueChecks(ctx, clock.advance(i === 1 ? MINUTE : 20_000), { only: ['web'] })
      const row = await status('web')
      // Kuma's retries: pending while retrying, each retry 20 s later (not the minute), then DOWN.
      expect(row.status).to.equal(i < 3 ? 'pending' : 'down')
      if (i < 3) expect(new Date(row.next_check_at).getTime()).to.equal(clock.now().getTime() + 20_000)
      expect(row.message).to.match(/Refused the connection/)
      expect(await incidents('web')).to.have.length(i < 3 ? 0 : 1)
    }
    const [incident] = await incidents('web')
    expect(incident).to.include({ status: 'open', incident_type: 'down', severity: 'medium' })
    expect(incident.description).to.match(/failed 3 checks in a row/)
    expect(await deliveries('monitor.incident.opened')).to.equal(opened0 + 1)

    // Pending (one change), then down with the incident opening (another): two nudges.
    expect(await nudges()).to.equal(nudged + 2)
    // Still down: the same incident, no new event.
    await runDueChecks(ctx, clock.advance(MINUTE), { only: ['web'] })
    expect(await incidents('web')).to.have.length(1)
    expect(await deliveries('monitor.incident.opened')).to.equal(opened0 + 1)

    await target.up()
    await runDueChecks(ctx, clock.advance(MINUTE), { only: ['web'] })
    const [done] = await incidents('web')
    expect(done.status).to.equal('resolved')
    expect(new Date(done.resolved_at).getTime()).to.equal(clock.now().getTime())
    expect(await status('web')).to.include({ status: 'up', consecutive_failures: 0 })
    expect(await deliveries('monitor.incident.resolved')).to.equal(resolved0 + 1)

    // 1 up, 4 down, 1 up: the metrics say so, one 'up' row per check.
    const ups = await host.db('service_metrics').where({ service_name: 'web', metric_name: 'up' }).orderBy('timestamp').pluck('metric_value')
    expect(ups).to.deep.equal([1, 0, 0, 0, 0, 1])
    expect(Number((await status('web')).uptime_percentage)).to.equal(33.33)
  })

  it("honours a service's own interval, and ignores an unreadable one", async () => {
    await addService(host, 'slow-poll', target.url, { configData: { interval: '5m' } })
    await addService(host, 'bad-interval', target.url, { configData: { interval: '1s' } })
    const clock = testClock()
    expect(await runDueChecks(ctx, clock.now(), { only: ['slow-poll', 'bad-interval'] })).to.equal(2)
    expect(await status('slow-poll')).to.include({ interval_ms: 300_000 })
    expect(await status('bad-interval')).to.include({ interval_ms: 60_000 }) // below 5 s: the default
    expect(await runDueChecks(ctx, clock.advance(MINUTE), { only: ['slow-poll', 'bad-interval'] })).to.equal(1)
    expect(await runDueChecks(ctx, clock.advance(4 * MINUTE), { only: ['slow-poll'] })).to.equal(1)
  })

  it('flapping opens no incident per check; a real outage opens exactly one', async () => {
    await addService(host, 'flappy', target.url, { configData: { severity: 'critical', retries: '2' } })
    const clock = testClock()
    for (let i = 0; i < 10; i++) {
      target.set(i % 2 ? { kind: 'up' } : { kind: 'status', code: 500 })
      await runDueChecks(ctx, clock.advance(MINUTE), { only: ['flappy'] })
    }
    expect(await incidents('flappy')).to.have.length(0)
    target.set({ kind: 'status', code: 503 })
    for (let i = 0; i < 6; i++) await runDueChecks(ctx, clock.advance(MINUTE), { only: ['flappy'] })
    const list = await incidents('flappy')
    expect(list).to.have.length(1)
    expect(list[0]).to.include({ severity: 'critical', incident_type: 'down' })
    expect((await status('flappy')).message).to.equal('Answered HTTP 503; expected 200-399.')
  })

  it('slow answers are degraded, and three in a row open a degraded incident', async () => {
    await addService(host, 'sluggish', target.url)
    target.set({ kind: 'slow', ms: 500 })
    const clock = testClock()
    for (let i = 0; i < 3; i++) await runDueChecks(ctx, clock.advance(MINUTE), { only: ['sluggish'] })
    const row = await status('sluggish')
    expect(row.status).to.equal('degraded')
    expect(row.response_time_ms).to.be.greaterThan(300)
    const [incident] = await incidents('sluggish')
    expect(incident).to.include({ incident_type: 'degraded', status: 'open' })
    // A degraded check still answered: it counts as up for uptime.
    expect(Number(row.uptime_percentage)).to.equal(100)
    // Slow became unreachable: the incident turns into an outage, still one row.
    await target.down()
    await runDueChecks(ctx, clock.advance(MINUTE), { only: ['sluggish'] })
    expect(await incidents('sluggish')).to.have.length(1)
    expect((await incidents('sluggish'))[0].incident_type).to.equal('down')
  })

  it('ends every misbehaving target within its timeout with a reason in words', async () => {
    const cases: Array<[string, () => void | Promise<void>, Record<string, unknown>, RegExp, string]> = [
      ['hangs', () => target.set({ kind: 'hang' }), {}, /^Did not answer within 1 s\.$/, 'down'],
      ['answers 500', () => target.set({ kind: 'status', code: 500 }), {}, /^Answered HTTP 500; expected 200-399\.$/, 'down'],
      ['wrong status', () => target.set({ kind: 'up' }), { expectStatus: '201' }, /^Answered HTTP 200; expected 201\.$/, 'down'],
      ['redirect loop', () => target.set({ kind: 'redirect-loop' }), {}, /^Redirected more than 10 times \(a redirect loop\?\)\.$/, 'down'],
      ['resets', () => target.set({ kind: 'reset' }), {}, /Closed the connection before answering/, 'down'],
      ['keyword missing', () => target.set({ kind: 'up', body: 'maintenance page' }), { keyword: 'all good' }, /keyword "all good" is not in/, 'down'],
      ['keyword present', () => target.set({ kind: 'up' }), { keyword: 'all good' }, /with the keyword/, 'up'],
      ['50 MB body', () => target.set({ kind: 'huge' }), {}, /^Answered HTTP 200\.$/, 'up'],
      ['50 MB body without the keyword', () => target.set({ kind: 'huge' }), { keyword: 'needle' }, /not in the first 1 MiB/, 'down'],
    ]
    for (const [what, arrange, configData, reason, expected] of cases) {
      const name = `case-${cases.findIndex((c) => c[0] === what)}`
      await addService(host, name, target.url, { configData })
      await arrange()
      await runDueChecks(ctx, new Date(), { only: [name] })
      const row = await status(name)
      expect(row.status, what).to.equal(expected)
      expect(row.message, what).to.match(reason)
    }
  })

  it('refuses an invalid TLS certificate with a clear reason', async () => {
    const { startSelfSignedServer } = await import('./tls-server.ts')
    const tls = await startSelfSignedServer()
    try {
      await addService(host, 'self-signed', tls.url)
      await runDueChecks(ctx, new Date(), { only: ['self-signed'] })
      const row = await status('self-signed')
      expect(row.status).to.equal('down')
      expect(row.message).to.match(/TLS certificate is self-signed/)
    } finally {
      await tls.close()
    }
  })

  it('checks TCP ports from the config', async () => {
    await runDueChecks(ctx, new Date(), { only: ['check:tcp-open', 'check:tcp-closed'] })
    expect(await status('check:tcp-open')).to.include({ status: 'up', display_name: 'An open port', source: 'check' })
    expect(await status('check:tcp-closed')).to.include({ status: 'down', severity: 'high' })
    expect((await status('check:tcp-closed')).message).to.match(/Refused the TCP connection on port 1/)
  })

  it('runs 20 hanging targets at most 8 at a time, in about ceil(20/8) timeouts', async () => {
    let open = 0
    let most = 0
    const sockets = new Set<net.Socket>()
    const hanging = net.createServer((socket) => {
      sockets.add(socket)
      // Reading is what lets the server notice the client hanging up.
      socket.resume()
      open += 1
      most = Math.max(most, open)
      socket.on('close', () => { open -= 1 })
    })
    const port = await new Promise<number>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve((hanging.address() as net.AddressInfo).port)))
    try {
      const names = Array.from({ length: 20 }, (_, i) => `hang-${i}`)
      for (const n of names) await addService(host, n, `http://127.0.0.1:${port}/${n}`)
      const began = performance.now()
      expect(await runDueChecks(ctx, new Date(), { only: names })).to.equal(20)
      const took = performance.now() - began
      // At most 8 at once (the server may see the 9th arrive a moment before it notices
      // a timed-out one hang up); unbounded would be 20.
      expect(most).to.be.within(8, 9)
      const rows = await host.db('service_status').whereIn('service_name', names)
      expect(rows.every((r) => r.status === 'down' && r.message === 'Did not answer within 1 s.')).to.equal(true)
      // ceil(20/8) = 3 rounds of a 1 s timeout; generous slack for a busy machine, but far
      // below 20 s (one at a time) — the bound the issue asks for, not a benchmark.
      expect(took).to.be.below(3 * 1000 + 6000)
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => hanging.close(resolve))
    }
  })

  it("checks another plugin's service through its own health check, without importing it", async () => {
    await addService(host, 'probe-me', target.url)
    await runDueChecks(ctx, new Date(), { only: ['probe-me'] })
    expect(await status('probe-me')).to.include({ status: 'up', message: 'Probe Me answered HTTP 200.', display_name: 'Probe Me' })
    await target.down()
    await runDueChecks(ctx, new Date(Date.now() + MINUTE), { only: ['probe-me'] })
    expect((await status('probe-me')).status).to.equal('down')
  })

  it('checks a service within seconds of an admin saving it (core.service.updated)', async () => {
    const { client: admin } = await signedInAdmin(host)
    const form = await admin.get('/admin/services/new')
    const once = /name="_once" value="([^"]+)"/.exec(form.text)![1]
    const saved = await admin.post('/admin/services', { service_name: '', service_name_other: 'nas', service_url: target.url, api_key: '', enabled: '1', config_data: '', _once: once })
    expect(saved.status, saved.text.slice(0, 500)).to.equal(303)
    // The event is delivered through the job queue: seconds, more on a busy machine.
    const row = await waitFor('the new service to be checked', async () => (await status('nas'))?.last_check_at ? status('nas') : undefined, 30_000)
    expect(row.status).to.equal('up')
    expect(row.target).to.equal(target.url)
  })

  it('drops the status of a service that is disabled or deleted', async () => {
    await addService(host, 'gone-soon', target.url)
    await runDueChecks(ctx, new Date(), { only: ['gone-soon'] })
    expect(await status('gone-soon')).to.not.equal(undefined)
    await host.db('service_configs').where({ service_name: 'gone-soon' }).update({ enabled: false })
    await runDueChecks(ctx, new Date(), { only: [] })
    expect(await status('gone-soon')).to.equal(undefined)
  })
})
