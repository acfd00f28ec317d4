// The Uptime Kuma import against the fake (CONTRACTS.md): both shapes of the status page,
// heartbeat times in UTC without a zone, ping null or -1, /metrics with an API key; and a
// missing, hanging, empty or garbled page as one clear error with no partial mirror.
import { expect } from 'chai'
import type { TestHost } from '../../support/test-host.ts'
import { HeartbeatStatus, kumaTime, startFakeUptimeKuma, type FakeUptimeKuma } from '../../support/fake-uptime-kuma.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'
import { runDueChecks } from '../../../plugins/monitor/checks.ts'
import { parseKumaTime } from '../../../plugins/monitor/uptime-kuma-client.ts'
import { addService, clearMonitor, signedInAdmin, startMonitorHost, testClock } from './monitor-harness.ts'

describe('monitor: Uptime Kuma import', function () {
  this.timeout(60_000)
  let host: TestHost
  let ctx: MonitorContext
  let kuma: FakeUptimeKuma

  // 3 s: on a busy machine a refused connection can take longer than 1 s to be seen.
  before(async () => { ({ host, ctx } = await startMonitorHost({ timeout: '3s' })) })
  after(async () => { await host?.stop() })
  beforeEach(async () => { await clearMonitor(host) })
  afterEach(async () => { await kuma?.close() })

  const kumaRows = () => host.db('service_status').where({ source: 'kuma' }).orderBy('service_name')
  const own = () => host.db('service_status').where({ service_name: 'uptime-kuma' }).first()
  const configure = (apiKey: string | null = null) => addService(host, 'uptime-kuma', kuma.url, { configData: { slug: kuma.slug }, apiKey })

  it('reads heartbeat times as UTC, whatever the local zone', () => {
    expect(parseKumaTime('2026-11-24 16:00:00.000')!.toISOString()).to.equal('2026-11-24T16:00:00.000Z')
    expect(parseKumaTime('2026-11-24T16:00:00Z')!.toISOString()).to.equal('2026-11-24T16:00:00.000Z')
    expect(parseKumaTime('yesterday')).to.equal(null)
  })

  for (const version of ['2.0', '2.5'] as const) {
    it(`mirrors every public monitor of a ${version} status page (${version === '2.5' ? 'incidents: []' : 'incident'})`, async () => {
      kuma = await startFakeUptimeKuma({ version, apiKey: null })
      const at = new Date(Date.now() - 60_000)
      const plex = kuma.addMonitor({ name: 'Plex' })
      const nas = kuma.addMonitor({ name: 'NAS <b>' , group: 'Storage' })
      const quiet = kuma.addMonitor({ name: 'No figure' })
      kuma.addMonitor({ name: 'Private', public: false, status: HeartbeatStatus.DOWN })
      kuma.pushHeartbeat(plex, { status: HeartbeatStatus.UP, ping: 35, time: kumaTime(at) })
      kuma.pushHeartbeat(nas, { status: HeartbeatStatus.DOWN, ping: null, time: at })
      kuma.pushHeartbeat(quiet, { status: HeartbeatStatus.UP, ping: -1, time: at })
      kuma.setUptime(plex, 0.9987)
      kuma.addIncident({ title: 'Scheduled work', content: 'tonight' })
      await configure()

      await runDueChecks(ctx, new Date(), { only: ['uptime-kuma'] })
      expect(await own()).to.include({ status: 'up' })
      expect((await own()).message).to.match(/^Read "MediaNest": 3 monitors, 1 incident\(s\) posted on the page\.$/)
      const rows = await kumaRows()
      expect(rows.map((r) => [r.service_name, r.display_name, r.status, r.response_time_ms])).to.deep.equal([
        [`kuma:${plex}`, 'Plex', 'up', 35],
        [`kuma:${nas}`, 'NAS <b>', 'down', null],
        [`kuma:${quiet}`, 'No figure', 'up', null],
      ])
      // The heartbeat's own time, read as UTC.
      expect(new Date(rows[0].last_check_at).toISOString()).to.equal(new Date(Math.floor(at.getTime())).toISOString())
      expect(rows[0].details).to.deep.include({ kumaUptime24h: 0.9987, kumaGroup: 'Services' })

      // The same newest beat read again is not recorded twice.
      await runDueChecks(ctx, new Date(Date.now() + 120_000), { only: ['uptime-kuma'] })
      expect(await host.db('service_metrics').where({ service_name: `kuma:${plex}`, metric_name: 'up' })).to.have.length(1)
      // New beats are, each once: three DOWN beats are three failed checks, so an incident opens.
      for (let i = 1; i <= 3; i++) kuma.pushHeartbeat(plex, { status: HeartbeatStatus.DOWN, ping: null, time: new Date(at.getTime() + i * 20_000) })
      await runDueChecks(ctx, new Date(Date.now() + 240_000), { only: ['uptime-kuma'] })
      expect((await host.db('service_status').where({ service_name: `kuma:${plex}` }).first()).status).to.equal('down')
      expect(await host.db('service_metrics').where({ service_name: `kuma:${plex}`, metric_name: 'up' }).orderBy('timestamp').pluck('metric_value')).to.deep.equal([1, 0, 0, 0])
      expect(await host.db('service_incidents').where({ service_name: `kuma:${plex}`, status: 'open' })).to.have.length(1)

      // Switching the uptime-kuma service off ends the mirror.
      await host.db('service_configs').where({ service_name: 'uptime-kuma' }).update({ enabled: false })
      await runDueChecks(ctx, new Date(Date.now() + 300_000))
      expect(await kumaRows()).to.have.length(0)
    })
  }

  it('reads /metrics with the API key as basic auth only, never in a URL', async () => {
    kuma = await startFakeUptimeKuma({ version: '2.5' })
    const id = kuma.addMonitor({ name: 'Overseerr' })
    kuma.pushHeartbeat(id, { status: HeartbeatStatus.UP, ping: 12, time: new Date(Date.now() - 1000) })
    await configure(kuma.apiKey)
    await runDueChecks(ctx, new Date(), { only: ['uptime-kuma'] })
    const metrics = kuma.requests.filter((r) => r.path === '/metrics')
    expect(metrics).to.have.length(1)
    expect(Buffer.from(String(metrics[0].headers.authorization).replace('Basic ', ''), 'base64').toString()).to.equal(`medianest:${kuma.apiKey}`)
    expect(kuma.requests.every((r) => !r.url.includes(kuma.apiKey!))).to.equal(true)
    expect((await host.db('service_status').where({ service_name: `kuma:${id}` }).first()).response_time_ms).to.equal(12)
  })

  const failures: Array<[string, (k: FakeUptimeKuma) => void | Promise<void>, RegExp]> = [
    ['a missing page (2.x answers 404)', (k) => k.setSlug('missing'), /has no public status page "medianest"/],
    ['a page that never answers (1.23)', (k) => { k.setVersion('1.23'); k.setSlug('missing') }, /^Uptime Kuma did not answer within 3 s \(http:\/\/127.0.0.1:\d+\)\.$/],
    ['a page with no public monitors', (k) => { k.addMonitor({ name: 'Hidden', public: false }) }, /lists no monitors/],
    ['garbage instead of JSON', (k) => k.garbage(), /not valid JSON/],
    ['a 500', (k) => k.status(500), /500/],
    ['Kuma down', (k) => k.down(), /refused the connection/],
  ]
  for (const [what, breakIt, reason] of failures) {
    it(`shows ${what} as one error on the service, and keeps no partial mirror`, async () => {
      kuma = await startFakeUptimeKuma({ version: '2.5', apiKey: null })
      const keep = what === 'a page with no public monitors' ? null : kuma.addMonitor({ name: 'Plex', status: HeartbeatStatus.UP })
      await configure()
      const clock = testClock()
      if (keep !== null) {
        await runDueChecks(ctx, clock.now(), { only: ['uptime-kuma'] })
        expect(await kumaRows()).to.have.length(1)
      }
      await breakIt(kuma)
      const metricsBefore = Number((await host.db('service_metrics').where({ service_name: `kuma:${keep}` }).count('* as n'))[0].n)
      await runDueChecks(ctx, clock.advance(120_000), { only: ['uptime-kuma'] })
      // One failed read: the Kuma service is pending (it retries like any target), the mirror untouched.
      expect(await own()).to.include({ status: 'pending' })
      expect((await own()).message).to.match(reason)
      if (keep !== null) expect((await kumaRows())[0].status).to.equal('up')
      // The second: the Kuma service is DOWN, and the mirrored rows no longer claim to be up.
      await runDueChecks(ctx, clock.advance(120_000), { only: ['uptime-kuma'] })
      const row = await own()
      expect(row.status).to.equal('down')
      expect(row.message).to.match(reason)
      if (keep !== null) {
        const [mirrored] = await kumaRows()
        expect(mirrored.status).to.equal('unknown')
        expect(mirrored.message).to.equal('Unknown: Uptime Kuma has not answered for 2 checks in a row, so its last word may no longer be true.')
      }
      // No measurement was made up: no rows added, none "up" that we did not see.
      expect(Number((await host.db('service_metrics').where({ service_name: `kuma:${keep}` }).count('* as n'))[0].n)).to.equal(metricsBefore)
      if (keep === null) expect(await kumaRows()).to.have.length(0)
    })
  }

  it('replays beats sent out of order in time order, each incident opened and resolved at its beats\' times', async () => {
    kuma = await startFakeUptimeKuma({ version: '2.5', apiKey: null })
    const flap = kuma.addMonitor({ name: 't-flap' })
    const t0 = Date.now() - 10 * 60_000
    kuma.pushHeartbeat(flap, { status: HeartbeatStatus.UP, ping: 10, time: new Date(t0) })
    await configure()
    await runDueChecks(ctx, new Date(t0 + 1000), { only: ['uptime-kuma'] })
    // Between two reads: down at +20 s, up at +40 s, down at +60 s, up at +80 s, listed shuffled (as 2.5.3 may send them).
    for (const [i, status] of [[3, HeartbeatStatus.DOWN], [1, HeartbeatStatus.DOWN], [4, HeartbeatStatus.UP], [2, HeartbeatStatus.UP]] as const) {
      kuma.pushHeartbeat(flap, { status, ping: status === HeartbeatStatus.UP ? 12 : null, time: new Date(t0 + i * 20_000) })
    }
    await runDueChecks(ctx, new Date(t0 + 120_000), { only: ['uptime-kuma'] })
    const name = `kuma:${flap}`
    const incidents = await host.db('service_incidents').where({ service_name: name }).orderBy('created_at')
    expect(incidents.map((i) => [new Date(i.created_at).getTime() - t0, new Date(i.resolved_at).getTime() - t0, i.status])).to.deep.equal([
      [20_000, 40_000, 'resolved'], [60_000, 80_000, 'resolved'],
    ])
    expect(await host.db('service_metrics').where({ service_name: name, metric_name: 'up' }).orderBy('timestamp').pluck('metric_value')).to.deep.equal([1, 0, 1, 0, 1])
    expect((await host.db('service_status').where({ service_name: name }).first()).status).to.equal('up')
  })

  it('names a mirrored monitor that shares a name with one of ours by its source', async () => {
    kuma = await startFakeUptimeKuma({ version: '2.5', apiKey: null })
    const nas = kuma.addMonitor({ name: 'nas', status: HeartbeatStatus.UP })
    const other = kuma.addMonitor({ name: 'Printer', status: HeartbeatStatus.UP })
    await addService(host, 'nas', 'http://127.0.0.1:1/')
    await configure()
    await runDueChecks(ctx, new Date(), { only: ['nas'] })
    await runDueChecks(ctx, new Date(), { only: ['uptime-kuma'] })
    const names = Object.fromEntries((await kumaRows()).map((r) => [r.service_name, r.display_name]))
    expect(names).to.deep.equal({ [`kuma:${nas}`]: 'Kuma: nas', [`kuma:${other}`]: 'Printer' })
  })

  it('Test connection on the uptime-kuma service says how many monitors it mirrors, or what is wrong', async () => {
    kuma = await startFakeUptimeKuma({ version: '2.0', apiKey: null })
    kuma.addMonitor({ name: 'Plex', status: HeartbeatStatus.UP })
    await configure()
    const { client: admin } = await signedInAdmin(host)
    const id = (await host.db('service_configs').where({ service_name: 'uptime-kuma' }).first()).id
    const tested = await admin.post(`/admin/services/${id}/test`, {}, { htmx: true })
    expect(tested.text).to.include('Status page &quot;MediaNest&quot; lists 1 monitor(s).')
    kuma.setSlug('missing')
    const failed = await admin.post(`/admin/services/${id}/test`, {}, { htmx: true })
    expect(failed.text).to.include('has no public status page')
  })
})
