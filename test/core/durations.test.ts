// One duration type in the contract (1.12): a string like '30s' or a whole number of
// milliseconds, wherever a timeout, an interval or a window is asked for; durationMs
// reads both; nothing and nonsense are refused at boot, named.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { durationMs } from '../../core/plugin-api.ts'
import { startTestHost } from '../support/test-host.ts'

const API = fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))

function pluginWith(contributions: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-durations-'))
  fs.writeFileSync(path.join(dir, 'index.ts'), `import { definePlugin, z } from '${API}'
export default definePlugin({ name: 'timed', version: '1.0.0', api: '^1.12.0', lifecycleTimeout: 5000,
  register: (ctx) => ({
    routes: ctx.http.router().get('/', (_req, res) => { res.send('ok') }),
    ${contributions}
  }) })
`)
  return dir
}

describe('durations: a string or milliseconds, one parser', function () {
  this.timeout(60_000)

  it('durationMs reads both and refuses the rest, naming it', () => {
    expect([durationMs('15m'), durationMs('500ms'), durationMs(2500), durationMs(0)]).to.deep.equal([900_000, 500, 2500, 0])
    for (const bad of ['15 minutes', '-1s', '1.5h', -5, 1.5, Number.NaN, '']) {
      expect(() => durationMs(bad as string), String(bad)).to.throw(/is not a duration/)
    }
  })

  it('boots a plugin whose job timeout, schedule and rate-limit window are milliseconds', async () => {
    const dir = pluginWith(`jobs: [{ name: 'work', timeout: 30000, payload: z.object({}), run: async () => {} }],
    schedules: [{ id: 'tick', every: 3600000, timeout: 20000, scope: 'instance', run: async () => {} }],
    rateLimits: [{ id: 'page', method: 'GET', path: '/', limit: 2, window: 60000 }],`)
    const host = await startTestHost({ plugins: { timed: { enabled: true, source: dir } } })
    try {
      const { client } = await host.signedIn()
      expect([(await client.get('/timed')).status, (await client.get('/timed')).status, (await client.get('/timed')).status]).to.deep.equal([200, 200, 429])
    } finally {
      await host.stop()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a timeout of nothing and an interval that is not a duration, naming each', async () => {
    const dir = pluginWith(`jobs: [{ name: 'work', timeout: 0, payload: z.object({}), run: async () => {} }],
    schedules: [{ id: 'tick', every: 'hourly', timeout: '20s', scope: 'instance', run: async () => {} }],`)
    try {
      const failed = await startTestHost({ plugins: { timed: { enabled: true, source: dir } } }).then(async (h) => { await h.stop(); return null }, (e: Error) => e)
      expect(failed?.message).to.include('job "work" timeout "0" must be longer than nothing')
      expect(failed?.message).to.include('schedule "tick" every "hourly" is not a duration')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
