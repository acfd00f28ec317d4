// GET /metrics (plugin API 1.10): off (404) without metrics.token; a missing or wrong
// bearer token is a 401 with one log line that never holds the token; with the token,
// Prometheus's text format (read back by a text-format parser) with the job queue, the
// live streams, the monitor's gauges per service and a community plugin's own, its
// escaped labels intact; a plugin gauge that throws or hangs leaves only itself empty.
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { validateContributions } from '../../core/plugins/validate.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { logDuring } from '../support/log-capture.ts'

const fixture = fileURLToPath(new URL('../fixtures/plugins/metrics-giver', import.meta.url))
const TOKEN = 'metrics-token-that-is-at-least-32-characters'

describe('GET /metrics (plugin API 1.10)', function () {
  this.timeout(60_000)
  let host: TestHost
  before(async () => {
    host = await startTestHost({
      config: { metrics: { token: TOKEN } },
      plugins: { 'metrics-giver': { enabled: true, source: fixture }, monitor: { enabled: true, config: { checks: [{ name: 'nas', tcp: '127.0.0.1:1' }] } } },
    })
  })
  after(async () => { await host?.stop() })

  it('is off without metrics.token', async () => {
    const off = await startTestHost({ plugins: {} })
    try {
      expect((await off.client().get('/metrics')).status).to.equal(404)
    } finally {
      await off.stop()
    }
  })

  it('refuses a missing or wrong token with 401 and a log line without the token', async () => {
    const lines = await logDuring(host.app.log, 'warn', async () => {
      const none = await host.client().get('/metrics')
      expect(none.status).to.equal(401)
      expect(none.headers.get('www-authenticate')).to.equal('Bearer realm="metrics"')
      expect((await host.client().get('/metrics', { headers: { Authorization: 'Bearer a-wrong-token-of-the-same-kind-ok' } })).status).to.equal(401)
      expect((await host.client().get('/metrics', { headers: { Authorization: `Basic ${TOKEN}` } })).status).to.equal(401)
    })
    const refused = lines.filter((l) => String(l.message).startsWith('metrics: refused'))
    expect(refused).to.have.length(1)
    expect(JSON.stringify(lines)).to.not.include('a-wrong-token').and.not.include(TOKEN)
  })

  it("serves the text format: the queue, the streams, the monitor's gauges and a plugin's own", async () => {
    // The monitor's check of its config target has run once (a refused port: down).
    const { runDueChecks } = await import('../../plugins/monitor/checks.ts')
    const monitor = host.app.host.plugins.find((p) => p.name === 'monitor')!.ctx as Parameters<typeof runDueChecks>[0]
    await runDueChecks(monitor, new Date(), { force: true })
    const res = await host.client().get('/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } })
    expect(res.status).to.equal(200)
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/)
    const families = new Map(parsePrometheusTextFormat(res.text).map((f) => [f.name, f]))
    expect(families.get('medianest_live_streams')!.type).to.equal('GAUGE')
    expect(families.has('medianest_jobs')).to.equal(true)
    const up = families.get('medianest_monitor_up')!.metrics.find((m) => m.labels?.service === 'check:nas')!
    expect(up).to.deep.include({ value: '0', labels: { service: 'check:nas', source: 'check' } })
    expect(families.get('medianest_metrics_giver_shelves')!.metrics).to.deep.equal([
      { value: '3', labels: { shelf: 'a "quoted"\nshelf' } },
      { value: '7', labels: { shelf: 'plain' } },
    ])
    // The throwing and the hanging gauge are there, empty; the rest were served.
    expect(families.get('medianest_metrics_giver_broken')?.metrics ?? []).to.deep.equal([])
    expect(families.get('medianest_metrics_giver_hangs')?.metrics ?? []).to.deep.equal([])
  })

  it('refuses a metric with a bad name, no help or no collect function', () => {
    const problems = validateContributions('p', { metrics: [{ name: 'Bad-Name', help: 'x', collect: () => [] }, { name: 'ok', help: '', collect: () => [] }, { name: 'twice', help: 'x' } as never, { name: 'twice', help: 'x', collect: () => [] }] })
    expect(problems.join('\n')).to.include('metric "Bad-Name" must be lower-case letters').and.include('metric "ok" has no help text')
      .and.include('metric "twice" has no collect function').and.include('metrics')
  })
})
