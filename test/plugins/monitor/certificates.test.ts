// Certificates of HTTPS services, against servers presenting certificates from a CA made in
// the test (trusted through caFile): a valid one records its expiry and issuer and shows the
// days left; one expiring in 5 days warns admins once (the 7-day threshold, not again at the
// next check); expired, for another host, self-signed and weakly signed ones are DOWN with
// the reason in words.
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import type { TestHost } from '../../support/test-host.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'
import { runDueChecks } from '../../../plugins/monitor/checks.ts'
import { addService, signedInAdmin, startMonitorHost, testClock } from './monitor-harness.ts'
import { makeTestCa, startOpensslTarget, startTlsTarget, type TestCa, type TlsTarget } from './test-ca.ts'
import { startSelfSignedServer } from './tls-server.ts'

const DAY = 86_400_000
// Listens to monitor.*: an event's deliveries show that it was emitted.
const LISTENER = fileURLToPath(new URL('./fixtures/monitor-listener', import.meta.url))

describe('monitor: TLS certificates', function () {
  this.timeout(60_000)
  let host: TestHost
  let ctx: MonitorContext
  let ca: TestCa
  const targets: TlsTarget[] = []
  const serve = async (t: Promise<TlsTarget>) => { const s = await t; targets.push(s); return s.url }

  before(async () => {
    ca = makeTestCa()
    ;({ host, ctx } = await startMonitorHost({ timeout: '3s', retries: 0, caFile: ca.caFile, certWarnDays: [7, 21] }, { plugins: { 'monitor-listener': { enabled: true, source: LISTENER } } }))
  })
  after(async () => {
    await host?.stop()
    for (const t of targets) await t.close()
    if (ca) fs.rmSync(ca.dir, { recursive: true, force: true })
  })

  const status = (name: string) => host.db('service_status').where({ service_name: name }).first()
  const warnings = async () => (await host.db('jobs').where({ name: 'core.event-delivery' }).whereRaw(`payload->>'event' = ?`, ['monitor.certificate.expiring']).select('payload'))
    .map((j) => (typeof j.payload === 'string' ? JSON.parse(j.payload) : j.payload).payload)

  it('records a valid certificate and shows its days left; one expiring in 5 days warns admins once', async () => {
    await addService(host, 'tls-good', await serve(startTlsTarget(ca.issue({ name: 'good', until: new Date(Date.now() + 365 * DAY) }))))
    await addService(host, 'tls-soon', await serve(startTlsTarget(ca.issue({ name: 'soon', until: new Date(Date.now() + 5 * DAY + 3_600_000) }))))
    const clock = testClock()
    await runDueChecks(ctx, clock.now(), { only: ['tls-good', 'tls-soon'] })
    const good = await status('tls-good')
    expect(good).to.include({ status: 'up', cert_issuer: 'MediaNest Test CA', cert_warned_days: null })
    expect(new Date(good.cert_expires_at).getTime()).to.be.greaterThan(Date.now() + 360 * DAY)
    const soon = await status('tls-soon')
    expect(soon).to.include({ status: 'up', cert_warned_days: 7 })
    const sent = await warnings()
    expect(sent.map((p: { serviceName: string; daysLeft: number; threshold: number }) => [p.serviceName, p.daysLeft, p.threshold])).to.deep.equal([['tls-soon', 5, 7]])
    // The next check warns no more.
    await runDueChecks(ctx, clock.advance(60_000), { only: ['tls-soon'] })
    expect(await warnings()).to.have.length(1)

    const { client } = await signedInAdmin(host)
    expect((await client.get('/monitor')).text).to.include('Certificate: 5 days left')
    expect((await client.get('/monitor/services/tls-good')).text).to.match(/TLS certificate: 36[45] days left \(expires <time datetime="[^"]+" data-style="date">\d{1,2} \w+ \d{4}<\/time>, issued by MediaNest Test CA\)/)
  })

  it('is DOWN with the reason for an expired, wrong-host, self-signed or weakly signed certificate', async () => {
    await addService(host, 'tls-expired', await serve(startTlsTarget(ca.issue({ name: 'expired', from: new Date(Date.now() - 60 * DAY), until: new Date(Date.now() - 30 * DAY) }))))
    await addService(host, 'tls-other', await serve(startTlsTarget(ca.issue({ name: 'other', san: 'DNS:nas.example', until: new Date(Date.now() + 90 * DAY) }))))
    const self = await startSelfSignedServer()
    targets.push(self)
    await addService(host, 'tls-self', self.url)
    await addService(host, 'tls-weak', await serve(startOpensslTarget(ca.issue({ name: 'weak', digest: 'sha1', until: new Date(Date.now() + 90 * DAY) }))))
    await runDueChecks(ctx, new Date(), { only: ['tls-expired', 'tls-other', 'tls-self', 'tls-weak'] })
    const reasons = Object.fromEntries(await Promise.all(['tls-expired', 'tls-other', 'tls-self', 'tls-weak'].map(async (n) => [n, await status(n)])))
    for (const n of Object.keys(reasons)) expect(reasons[n].status, n).to.equal('down')
    expect(reasons['tls-expired'].message).to.equal('Its TLS certificate has expired.')
    expect(reasons['tls-other'].message).to.match(/^Its TLS certificate is for another host name/)
    expect(reasons['tls-self'].message).to.match(/self-signed/)
    expect(reasons['tls-weak'].message).to.equal('Its TLS certificate is signed with a weak algorithm (MD5 or SHA-1).')
  })
})
