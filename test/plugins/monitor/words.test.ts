// The board's words alone: spans of time as people say them, and service names in the
// admin's words (not a type label's asides).
import { expect } from 'chai'
import { inWords, spanFrom } from '../../../plugins/monitor/board.ts'
import { targetsFrom } from '../../../plugins/monitor/targets.ts'
import { monitorConfig } from '../../../plugins/monitor/plugin-config.ts'
import type { ServiceConfigRecord } from 'medianest/plugin-api'

describe('monitor: words on the board', () => {
  it('says how long an incident lasted in words', () => {
    expect([0, 40_000, 59_400, 60_000, 12 * 60_000, 3 * 3_600_000 + 5 * 60_000, 5 * 3_600_000, 52 * 3_600_000, 72 * 3_600_000].map(inWords))
      .to.deep.equal(['0 s', '40 s', '59 s', '1 min', '12 min', '3 h 5 min', '5 h', '2 days 4 h', '3 days'])
  })

  it("names a service in the admin's words, else by its type's label without asides, and a check's own interval falls back to the plugin's", () => {
    const record = (serviceName: string, configData: Record<string, unknown> = {}, serviceType: string | null = serviceName === 'plain' || serviceName === 'nas-web' ? null : 'overseerr'): ServiceConfigRecord => ({
      id: 1, serviceName, serviceType, serviceUrl: 'http://10.0.0.2', apiKey: null, enabled: true, configData, fields: {}, updatedAt: new Date(0), updatedBy: null,
    })
    const types = [{ name: 'overseerr', label: 'Overseerr (or Jellyseerr)', plugin: 'overseerr', fields: [], fallback: false }]
    const config = monitorConfig.parse({ interval: '10s', timeout: '5s', checks: [{ name: 'nas', tcp: '10.0.0.3:22' }] })
    const targets = targetsFrom(config, [record('overseerr'), record('overseerr-4k'), record('nas-web', { displayName: '  The NAS  ' }), record('plain')], types)
    // A second service of one kind is told apart by its name; both are checked by the kind's plugin.
    expect(targets.map((t) => t.displayName)).to.deep.equal(['Overseerr', 'Overseerr (overseerr-4k)', 'The NAS', 'plain', 'nas'])
    expect(targets.slice(0, 3).map((t) => t.kind)).to.deep.equal(['service-type', 'service-type', 'http'])
    expect(targets.find((t) => t.name === 'check:nas')).to.include({ intervalMs: 10_000, timeoutMs: 5000, retries: 1, retryIntervalMs: 20_000 })
  })

  it('starts a young service\'s chart at its first check, so its checks fill the width', () => {
    const windowFrom = new Date('2026-12-06T12:00:00Z')
    const at = (iso: string) => ({ at: new Date(iso), ms: 10, up: 1 })
    expect(spanFrom([], windowFrom)).to.equal(windowFrom)
    expect(spanFrom([at('2026-12-07T11:40:00Z')], windowFrom)).to.equal(windowFrom)
    expect(spanFrom([at('2026-12-07T11:40:00Z'), at('2026-12-07T11:45:00Z')], windowFrom).toISOString()).to.equal('2026-12-07T11:40:00.000Z')
    expect(spanFrom([at('2026-12-06T11:00:00Z'), at('2026-12-07T11:45:00Z')], windowFrom)).to.equal(windowFrom)
  })
})
