// The `plex` service type on the admin's Services page: added through the form, and
// "Test connection" saying the server's version, or that the token was refused.
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../../support/test-host.ts'
import { startFakePms, type FakePms } from '../../support/fake-pms.ts'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createUpstreamClient, resetBreakers } from '../../../core/upstream.ts'
import { createLogger } from '../../../core/log.ts'
import { PLEX_UPSTREAM_NAME } from '../../../plugins/plex-auth/plex-server-client.ts'
import { signedInAdmin } from './server-setup.ts'

describe('plex-auth: the plex service type in Admin → Services', function () {
  this.timeout(60_000)
  let host: TestHost
  let pms: FakePms

  before(async () => {
    pms = await startFakePms()
    pms.addSection({ type: 'movie', title: 'Movies', locations: ['/m'] })
    host = await startTestHost({ plugins: { 'plex-auth': { enabled: true } } })
  })
  after(async () => {
    await host?.stop()
    await pms?.close()
  })
  beforeEach(() => resetBreakers())

  /** Adds the plex service through the form; returns its id. */
  async function addThroughForm(admin: Awaited<ReturnType<typeof signedInAdmin>>['client'], token: string): Promise<number> {
    const form = await admin.get('/admin/services/new?type=plex')
    expect(form.status).to.equal(200)
    expect(form.text).to.include('Plex Media Server (plex-auth)')
    const once = /name="_once" value="([^"]+)"/.exec(form.text)![1]
    const saved = await admin.post('/admin/services', { service_name: 'plex', service_name_other: '', service_url: pms.url, api_key: token, enabled: '1', _once: once })
    expect(saved.status, saved.text.slice(0, 2000)).to.equal(303)
    const row = await host.db('service_configs').where({ service_name: 'plex' }).first()
    return row.id
  }

  it('adds a Plex server, and Test connection names its version and libraries', async () => {
    const { client: admin } = await signedInAdmin(host)
    const id = await addThroughForm(admin, pms.token)
    const list = await admin.get('/admin/services')
    expect(list.text).to.include(pms.url)
    expect(list.text).not.to.include(pms.token)

    const tested = await admin.post(`/admin/services/${id}/test`, {}, { htmx: true })
    expect(tested.status).to.equal(200)
    expect(tested.text).to.include('OK')
    expect(tested.text).to.include(`Plex Media Server ${pms.version}`)
    expect(tested.text).to.include('accepted the token: 1 library (Movies)')
    expect(tested.text).not.to.include(pms.token)
    expect(pms.requests.every((r) => !r.url.includes(pms.token))).to.equal(true)
  })

  it('says in words that the token was refused', async () => {
    await host.db('service_configs').where({ service_name: 'plex' }).del()
    const { client: admin } = await signedInAdmin(host)
    const id = await addThroughForm(admin, 'a-token-plex-does-not-know')
    const tested = await admin.post(`/admin/services/${id}/test`, {}, { htmx: true })
    expect(tested.text).to.include('Failed')
    expect(tested.text).to.include(`Plex Media Server ${pms.version} answered, but the token was refused (HTTP 401)`)
    expect(tested.text).not.to.include('a-token-plex-does-not-know')
  })

  it('says when nothing answers at the address', async () => {
    const gone = await startFakePms()
    await gone.close()
    await host.db('service_configs').where({ service_name: 'plex' }).update({ service_url: gone.url })
    const { client: admin } = await signedInAdmin(host)
    const id = (await host.db('service_configs').where({ service_name: 'plex' }).first()).id
    const tested = await admin.post(`/admin/services/${id}/test`, {}, { htmx: true })
    expect(tested.text).to.include('Failed')
    expect(tested.text).to.include('No Plex Media Server answered at this address. Plex server: refused the connection')
  })

  it('runs through ctx.services.check for other plugins', async () => {
    await host.db('service_configs').where({ service_name: 'plex' }).update({ service_url: pms.url })
    const result = await host.app.core.services.check('plex')
    expect(result.ok, result.message).to.equal(false) // the stored key is still the refused one
    expect(result.message).to.match(/token was refused/)
  })

  it('tests the server as it is now, even while calls to it are held off after an outage', async () => {
    // A gate in front of the fake server: 502 while "down", the server itself after.
    let down = true
    const gate = http.createServer((req, res) => {
      if (down) return void res.writeHead(502).end()
      const upstream = http.request(`${pms.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      req.pipe(upstream)
    })
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r))
    const gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}`
    try {
      await host.db('service_configs').where({ service_name: 'plex' }).del()
      const { client: admin } = await signedInAdmin(host)
      const id = await addThroughForm(admin, pms.token)
      await host.db('service_configs').where({ id }).update({ service_url: gateUrl })
      // The plugin's everyday calls fail on several paths: its breaker holds them off.
      const everyday = createUpstreamClient({ service: PLEX_UPSTREAM_NAME, baseUrl: gateUrl }, createLogger('error', false, true))
      for (const n of [1, 2, 3, 4, 5]) await everyday.request({ method: 'POST', path: `/library/sections/${n}/refresh` }).catch(() => undefined)
      const held = await everyday.get('/identity').then(() => 'answered', (e: Error) => e.message)
      expect(held).to.match(/not trying again/)

      down = false
      const tested = await admin.post(`/admin/services/${id}/test`, {}, { htmx: true })
      expect(tested.text).to.include('accepted the token: 1 library (Movies)')
      expect(tested.text).not.to.include('not trying again')
    } finally {
      gate.closeAllConnections()
      await new Promise<void>((r) => gate.close(() => r()))
    }
  })
})
