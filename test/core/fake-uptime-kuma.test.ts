// The fake Uptime Kuma must disagree with itself the way Kuma's versions do
// (CONTRACTS.md "Uptime Kuma"), or the monitor plugin would only work against one of them.
import http from 'node:http'
import { expect } from 'chai'
import { HeartbeatStatus, kumaTime, startFakeUptimeKuma, type FakeUptimeKuma } from '../support/fake-uptime-kuma.ts'
import { waitFor } from '../support/wait-for.ts'

describe('fake Uptime Kuma: the contract its plugin is tested against', function () {
  this.timeout(20_000)
  let fake: FakeUptimeKuma

  const get = async (path: string, headers: Record<string, string> = {}, timeoutMs = 2000) => {
    const res = await fetch(`${fake.url}${path}`, { headers, signal: AbortSignal.timeout(timeoutMs) })
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text(), headers: res.headers }
  }
  const getJson = async (path: string) => { const r = await get(path); return { status: r.status, json: JSON.parse(r.text) } }
  const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` })
  const timesOut = (path: string) => get(path, {}, 300).then(() => 'answered', (e: Error) => e.name)

  afterEach(() => fake.close())

  describe('status page', () => {
    it('sends `incident` (one or null) in 1.23 and 2.0', async () => {
      for (const version of ['1.23', '2.0'] as const) {
        fake = await startFakeUptimeKuma({ version, slug: 'home' })
        fake.addMonitor({ name: 'Plex', url: 'http://plex:32400', status: HeartbeatStatus.UP })
        const page = (await getJson('/api/status-page/home')).json
        expect(page, version).to.have.property('incident', null)
        expect(page).to.not.have.property('incidents')
        expect(page.config).to.include({ slug: 'home' })
        expect(page.publicGroupList).to.deep.equal([{ id: 1, name: 'Services', weight: 1, monitorList: [{ id: 1, name: 'Plex', sendUrl: 0, type: 'http' }] }])
        expect(page.maintenanceList).to.deep.equal([])
        fake.addIncident({ title: 'Disk full', content: 'Plex cannot record', style: 'danger' })
        expect((await getJson('/api/status-page/home')).json.incident).to.include({ title: 'Disk full', style: 'danger' })
        await fake.close()
      }
    })

    it('sends `incidents: []` in 2.5', async () => {
      fake = await startFakeUptimeKuma({ version: '2.5' })
      const page = (await getJson(`/api/status-page/${fake.slug}`)).json
      expect(page.incidents).to.deep.equal([])
      expect(page).to.not.have.property('incident')
      fake.addIncident({ title: 'A', content: 'a' })
      fake.addIncident({ title: 'B', content: 'b' })
      expect((await getJson(`/api/status-page/${fake.slug}`)).json.incidents.map((i: { title: string }) => i.title)).to.deep.equal(['A', 'B'])
    })

    it('switches shape when a test changes the version', async () => {
      fake = await startFakeUptimeKuma({ version: '2.0' })
      fake.setVersion('2.5')
      expect((await getJson(`/api/status-page/${fake.slug}`)).json).to.have.property('incidents')
    })

    it('hangs for an unknown slug in 1.23, answers 404 in 2.x; heartbeats answer 200 with empty lists', async () => {
      fake = await startFakeUptimeKuma({ version: '1.23' })
      fake.addMonitor({ name: 'Plex', status: HeartbeatStatus.UP })
      expect(await timesOut('/api/status-page/nope')).to.equal('TimeoutError')
      expect((await getJson('/api/status-page/heartbeat/nope')).json).to.deep.equal({ heartbeatList: {}, uptimeList: {} })
      fake.setVersion('2.5')
      expect(await getJson('/api/status-page/nope')).to.deep.equal({ status: 404, json: { status: 'fail', msg: 'Status Page Not Found' } })
      expect(await getJson('/api/status-page/heartbeat/nope')).to.deep.equal({ status: 200, json: { heartbeatList: {}, uptimeList: {} } })
    })

    it('makes the configured slug missing or hanging on demand', async () => {
      fake = await startFakeUptimeKuma({ version: '2.0' })
      fake.setSlug('missing')
      expect((await get(`/api/status-page/${fake.slug}`)).status).to.equal(404)
      fake.setSlug('hang')
      expect(await timesOut(`/api/status-page/${fake.slug}`)).to.equal('TimeoutError')
      expect(await timesOut(`/api/status-page/heartbeat/${fake.slug}`)).to.equal('TimeoutError')
      fake.setSlug('present')
      expect((await get(`/api/status-page/${fake.slug}`)).status).to.equal(200)
    })

    it('reads the slug case-insensitively, as Kuma lowercases it', async () => {
      fake = await startFakeUptimeKuma({ slug: 'home' })
      expect((await get('/api/status-page/HOME')).status).to.equal(200)
    })

    it('keeps monitors of a private group off the page and out of the heartbeats', async () => {
      fake = await startFakeUptimeKuma()
      fake.addMonitor({ name: 'Plex', status: HeartbeatStatus.UP })
      const hidden = fake.addMonitor({ name: 'Router', group: 'Internal', public: false, status: HeartbeatStatus.DOWN })
      const page = (await getJson(`/api/status-page/${fake.slug}`)).json
      expect(page.publicGroupList.map((g: { name: string }) => g.name)).to.deep.equal(['Services'])
      expect((await getJson(`/api/status-page/heartbeat/${fake.slug}`)).json.heartbeatList).to.have.keys('1')
      expect((await get(`/api/badge/${hidden}/status`)).text).to.contain('N/A')
    })
  })

  describe('heartbeats', () => {
    it('sends them oldest first, times in UTC without a zone, msg empty, ping as given (null and -1 too)', async () => {
      fake = await startFakeUptimeKuma()
      const plex = fake.addMonitor({ name: 'Plex' })
      fake.pushHeartbeat(plex, { status: HeartbeatStatus.UP, ping: 35, time: new Date('2026-11-24T16:00:00Z'), msg: '200 - OK' })
      fake.pushHeartbeat(plex, { status: HeartbeatStatus.DOWN, ping: null, time: new Date('2026-11-24T16:01:00Z'), msg: 'timeout' })
      fake.pushHeartbeat(plex, { status: HeartbeatStatus.PENDING, ping: -1, time: new Date('2026-11-24T16:00:30Z') })
      const { json } = await getJson(`/api/status-page/heartbeat/${fake.slug}`)
      expect(json.heartbeatList[String(plex)]).to.deep.equal([
        { status: 1, time: '2026-11-24 16:00:00.000', msg: '', ping: 35 },
        { status: 2, time: '2026-11-24 16:00:30.000', msg: '', ping: -1 },
        { status: 0, time: '2026-11-24 16:01:00.000', msg: '', ping: null },
      ])
      expect(json.uptimeList).to.deep.equal({ [`${plex}_24`]: 0.5 })
      fake.setUptime(plex, 0.9987)
      expect((await getJson(`/api/status-page/heartbeat/${fake.slug}`)).json.uptimeList[`${plex}_24`]).to.equal(0.9987)
    })

    it('writes times as Kuma stores them: UTC, a space for the T, milliseconds, no zone', () => {
      expect(kumaTime(new Date('2026-11-24T16:00:00.5Z'))).to.equal('2026-11-24 16:00:00.500')
      expect(kumaTime(new Date('2026-11-24T16:00:00Z'))).to.not.match(/Z|[+-]\d\d:\d\d$/)
    })

    it('keeps the newest 100', async () => {
      fake = await startFakeUptimeKuma()
      const plex = fake.addMonitor({ name: 'Plex' })
      for (let i = 0; i < 120; i++) fake.pushHeartbeat(plex, { status: 1, ping: i, time: new Date(Date.UTC(2026, 10, 24, 16, 0, i)) })
      const list = (await getJson(`/api/status-page/heartbeat/${fake.slug}`)).json.heartbeatList[String(plex)]
      expect(list).to.have.length(100)
      expect(list.at(-1).ping).to.equal(119)
    })

    it('serves a cached copy for the cache period, so a DOWN arrives late', async () => {
      fake = await startFakeUptimeKuma({ cache: { statusPageMs: 60_000, heartbeatMs: 300 } })
      const plex = fake.addMonitor({ name: 'Plex', status: HeartbeatStatus.UP })
      const last = async () => (await getJson(`/api/status-page/heartbeat/${fake.slug}`)).json.heartbeatList[String(plex)].at(-1).status
      expect(await last()).to.equal(HeartbeatStatus.UP)
      fake.pushHeartbeat(plex, { status: HeartbeatStatus.DOWN })
      expect(await last(), 'still the cached copy').to.equal(HeartbeatStatus.UP)
      const monitorCount = async () => (await getJson(`/api/status-page/${fake.slug}`)).json.publicGroupList[0].monitorList.length
      expect(await monitorCount()).to.equal(1)
      fake.addMonitor({ name: 'Sonarr' })
      expect(await monitorCount(), 'the page is cached longer').to.equal(1)
      await waitFor('the heartbeat cache (300 ms) to expire', async () => (await last()) === HeartbeatStatus.DOWN, 2000)
    })

    it('takes a push monitor\'s beat at /api/push/{token}', async () => {
      fake = await startFakeUptimeKuma()
      const job = fake.addMonitor({ name: 'Backup', type: 'push', pushToken: 'abc123' })
      expect((await getJson('/api/push/abc123?status=up&msg=OK&ping=12')).json).to.deep.equal({ ok: true })
      expect((await getJson('/api/push/nope?status=up')).status).to.equal(404)
      const list = (await getJson(`/api/status-page/heartbeat/${fake.slug}`)).json.heartbeatList[String(job)]
      expect(list[0]).to.include({ status: 1, ping: 12, msg: '' })
    })
  })

  describe('/metrics', () => {
    it('answers Prometheus text to basic auth with the API key as the password, any user name', async () => {
      fake = await startFakeUptimeKuma()
      expect(fake.apiKey).to.match(/^uk\d+_/)
      fake.addMonitor({ name: 'Plex "main"', url: 'https://plex.example.com', status: HeartbeatStatus.UP, certDaysRemaining: 30 })
      fake.addMonitor({ name: 'Router', public: false, status: HeartbeatStatus.DOWN })
      const res = await get('/metrics', basic('whoever', fake.apiKey!))
      expect(res.status).to.equal(200)
      expect(res.type).to.match(/^text\/plain/)
      const labels = 'monitor_name="Plex \\"main\\"",monitor_type="http",monitor_url="https://plex.example.com",monitor_hostname="null",monitor_port="null"'
      expect(res.text).to.contain(`monitor_status{${labels}} 1\n`)
      expect(res.text).to.contain(`monitor_response_time{${labels}} 35\n`)
      expect(res.text).to.contain(`monitor_cert_days_remaining{${labels}} 30\n`)
      expect(res.text).to.contain(`monitor_cert_is_valid{${labels}} 1\n`)
      expect(res.text, 'private monitors too').to.match(/monitor_status\{monitor_name="Router"[^}]*\} 0\n/)
      expect(res.text, 'no figure').to.match(/monitor_response_time\{monitor_name="Router"[^}]*\} -1\n/)
    })

    it('refuses a missing or wrong key, and the admin login once a key exists', async () => {
      fake = await startFakeUptimeKuma()
      const none = await get('/metrics')
      expect(none.status).to.equal(401)
      expect(none.headers.get('www-authenticate')).to.match(/^Basic/)
      expect((await get('/metrics', basic('', 'uk1_wrong'))).status).to.equal(401)
      expect((await get('/metrics', basic(fake.admin.username, fake.admin.password))).status).to.equal(401)
      fake.setApiKey(null)
      expect((await get('/metrics', basic(fake.admin.username, fake.admin.password))).status).to.equal(200)
    })
  })

  describe('failure modes and recording', () => {
    it('records method, path, raw query and headers', async () => {
      fake = await startFakeUptimeKuma()
      await get(`/api/status-page/heartbeat/${fake.slug}?maxBeats=50`, { 'User-Agent': 'MediaNest' })
      expect(fake.requests.at(-1)).to.deep.include({ method: 'GET', path: `/api/status-page/heartbeat/${fake.slug}`,
        url: `/api/status-page/heartbeat/${fake.slug}?maxBeats=50`, query: { maxBeats: '50' } })
      expect(fake.requests.at(-1)!.headers['user-agent']).to.equal('MediaNest')
    })

    it('answers any other path with the app\'s HTML, 200, as Kuma\'s single-page app does', async () => {
      fake = await startFakeUptimeKuma()
      const res = await get('/api/status-pages/typo')
      expect(res.status).to.equal(200)
      expect(res.type).to.match(/^text\/html/)
    })

    it('answers a chosen status, garbage, or refuses connections, then recovers', async () => {
      fake = await startFakeUptimeKuma()
      fake.status(503, 'SQLITE_BUSY')
      expect(await getJson(`/api/status-page/${fake.slug}`)).to.deep.equal({ status: 503, json: { ok: false, msg: 'SQLITE_BUSY' } })
      fake.garbage()
      const garbage = await get(`/api/status-page/heartbeat/${fake.slug}`)
      expect(garbage.type).to.match(/^application\/json/)
      expect(() => JSON.parse(garbage.text)).to.throw(SyntaxError)
      await fake.down()
      const refused = await new Promise<string | undefined>((resolve) => {
        http.get({ host: '127.0.0.1', port: new URL(fake.url).port, path: '/metrics', agent: false }, () => resolve(undefined))
          .on('error', (e: Error & { code?: string }) => resolve(e.code))
      })
      expect(refused).to.equal('ECONNREFUSED')
      await fake.recover()
      expect((await get(`/api/status-page/${fake.slug}`)).status).to.equal(200)
    })

    it('hangs while slow and still closes at once, even with a 1.23 unknown-slug request hanging', async () => {
      fake = await startFakeUptimeKuma({ version: '1.23' })
      fake.slow(5_000)
      const delayed = fetch(`${fake.url}/metrics`).then(() => 'answered', () => 'cut off')
      const unknown = fetch(`${fake.url}/api/status-page/nope`).then(() => 'answered', () => 'cut off')
      fake.slow()
      expect(await timesOut('/metrics')).to.equal('TimeoutError')
      const pending = fetch(`${fake.url}/metrics`).then(() => 'answered', () => 'cut off')
      await new Promise((r) => setTimeout(r, 50))
      const started = Date.now()
      await fake.close()
      expect(Date.now() - started).to.be.below(1000)
      expect(await Promise.all([unknown, pending, delayed])).to.deep.equal(['cut off', 'cut off', 'cut off'])
    })
  })
})
