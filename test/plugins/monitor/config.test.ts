// plugins.monitor.config: defaults, and every bad value refused at boot with its path.
import { expect } from 'chai'
import { bootProblems } from '../../support/test-host.ts'
import { monitorConfig } from '../../../plugins/monitor/plugin-config.ts'

describe('monitor: config', function () {
  this.timeout(60_000)

  it('has the documented defaults', () => {
    expect(monitorConfig.parse({})).to.deep.equal({
      interval: '60s', timeout: '10s', concurrency: 8, retries: 1, retryInterval: '20s', degradedAboveMs: 2000, certWarnDays: [21, 7], rawRetention: '7d', checks: [],
    })
  })

  it('reads the older failuresBeforeIncident as retries (one less) when retries is not set', () => {
    expect(monitorConfig.parse({ failuresBeforeIncident: 3 })).to.include({ retries: 2 })
    expect(monitorConfig.parse({ failuresBeforeIncident: 3, retries: 0 })).to.include({ retries: 0 })
    expect(monitorConfig.safeParse({ retries: 11 }).success).to.equal(false)
  })

  it("leaves a check's interval and timeout to the plugin-wide ones unless it sets its own", () => {
    const c = monitorConfig.parse({ interval: '10s', timeout: '5s', checks: [{ name: 'nas', tcp: '10.0.0.2:22' }, { name: 'own', tcp: '10.0.0.3:22', interval: '30s', timeout: '2s' }] })
    expect(c.checks[0]).to.not.have.property('interval')
    expect(c.checks[0]).to.not.have.property('timeout')
    expect(c.checks[1]).to.include({ interval: '30s', timeout: '2s' })
  })

  it('refuses each bad value with a message naming it', () => {
    const problems = (config: unknown) => {
      const r = monitorConfig.safeParse(config)
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    }
    expect(problems({ interval: '1s' })).to.deep.equal(['interval: interval must be between 5s and 1d, not 1s.'])
    expect(problems({ interval: 'often' })).to.deep.equal(['interval: "often" is not a duration: write it like 30s, 5m or 7d.'])
    expect(problems({ interval: '30s', timeout: '1m' })).to.deep.equal(['timeout: timeout (1m) must not be longer than interval (30s).'])
    expect(problems({ concurrency: 0 })[0]).to.match(/^concurrency:/)
    expect(problems({ checks: [{ name: 'a-b', url: 'http://x', tcp: 'x:1' }] })).to.deep.equal(['checks.0.url: Check "a-b": give either url or tcp, not both and not neither.'])
    expect(problems({ checks: [{ name: 'a-b', url: 'ftp://x' }] })[0]).to.match(/^checks.0.url: Write an http/)
    expect(problems({ checks: [{ name: 'ab', url: 'http://x' }, { name: 'ab', tcp: 'h:1' }] })).to.deep.equal(['checks.1.name: Two checks are named "ab": names must be unique.'])
    expect(problems({ checks: [{ name: 'ab', url: 'http://x', expectStatus: '700' }] })[0]).to.match(/^checks.0.expectStatus: Check "ab": Write a status or a range/)
    expect(problems({ checks: [{ name: 'ab', tcp: 'h:1', keyword: 'k' }] })[0]).to.match(/a keyword or JSON path needs an HTTP check/)
    expect(problems({ checks: [{ name: 'ab', url: 'http://x', surprise: 1 }] })[0]).to.match(/surprise/)
  })

  it('refuses to boot with a bad slice, naming plugins.monitor.config', async () => {
    const refused = await bootProblems({ monitor: { enabled: true, config: { interval: '2s', failuresBeforeIncident: 0 } } })
    expect(refused.join('\n')).to.include('plugins.monitor.config.interval')
    expect(refused.join('\n')).to.include('plugins.monitor.config.failuresBeforeIncident')
  })
})
