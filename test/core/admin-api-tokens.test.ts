import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import type { TestClient } from '../support/http-client.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const TOKEN = /mn_[A-Za-z0-9_-]{43}/
const REFUSED = 'Admin changes need a browser session; API tokens can only read.'
const adminPlugins = fileURLToPath(new URL('../fixtures/first-party-admin', import.meta.url))

describe('admin: an API token can read, not change', function () {
  this.timeout(60_000)
  let host: TestHost
  let admin: TestClient
  let token: string
  let targetId: string

  before(async () => {
    host = await startTestHost({ firstPartyDir: adminPlugins, plugins: { knobs: { enabled: true } } })
    admin = (await host.signedIn(await host.createUser({ role: 'ADMIN' }))).client
    await admin.get('/account/tokens')
    token = TOKEN.exec((await admin.post('/account/tokens', { name: 'admin script', lifetime: '30' })).text)![0]
    targetId = (await host.createUser({ email: 'owner-target@example.com' })).id
  })
  after(async () => { await host.stop() })

  const withToken = (method: string, path: string, form?: Record<string, string>) => fetch(host.url + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
    redirect: 'manual',
  })

  async function expectRefused(method: string, path: string, form: Record<string, string> = {}) {
    const res = await withToken(method, path, form)
    expect(res.status, `${method} ${path}`).to.equal(403)
    expect(((await res.json()) as { error: { message: string } }).error.message, `${method} ${path}`).to.equal(REFUSED)
  }

  const snapshot = async () => ({
    users: await host.db('users').orderBy('id').select('id', 'email', 'role', 'status'),
    services: await host.db('service_configs').orderBy('id'),
    resets: (await host.db('verification_tokens').where('identifier', 'like', 'reset:%').count('* as n').first())!.n,
  })

  it('cannot create a user, issue a reset link, change a role or status, or add a service', async () => {
    const before = await snapshot()
    await expectRefused('POST', '/admin/users', { email: 'minted-admin@example.com', name: 'Minted', role: 'ADMIN' })
    await expectRefused('POST', `/admin/users/${targetId}/reset-password`)
    await expectRefused('POST', `/admin/users/${targetId}/role`, { role: 'ADMIN' })
    await expectRefused('POST', `/admin/users/${targetId}/status`, { status: 'suspended' })
    await expectRefused('POST', '/admin/services', {
      service_name: '', service_name_other: 'sneaky', service_url: 'http://127.0.0.1:2/', enabled: '1', config_data: '{}',
    })
    for (const method of ['PUT', 'PATCH', 'DELETE']) await expectRefused(method, `/admin/users/${targetId}`)
    expect(await snapshot()).to.deep.equal(before)
  })

  it('cannot change a plugin\'s admin settings, under /admin or behind its own requireAdmin', async () => {
    await expectRefused('POST', '/admin/knobs', { knob: 'on' })
    await expectRefused('POST', '/knobs/reset')
    expect(await (await withToken('GET', '/admin/knobs')).text()).to.equal('knob is off')
  })

  it('still reads admin pages', async () => {
    for (const path of ['/admin', '/admin/users', `/admin/users/${targetId}`, '/admin/services']) {
      const res = await withToken('GET', path)
      expect(res.status, path).to.equal(200)
    }
    const page = await fetch(`${host.url}/admin/users/${targetId}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/html' } })
    expect(await page.text()).to.include('owner-target@example.com')
    expect((await withToken('HEAD', '/admin/users')).status).to.equal(200)
  })

  it('lets the same admin make the same changes from a browser session', async () => {
    const created = await admin.post('/admin/users', { email: 'made-in-browser@example.com', name: 'Browser', role: 'USER' })
    expect(created.status).to.equal(201)
    const reset = await admin.post(`/admin/users/${targetId}/reset-password`)
    expect(reset.status).to.equal(200)
    expect(reset.text).to.match(/\/reset\/[A-Za-z0-9_-]+/)
    expect((await admin.post(`/admin/users/${targetId}/role`, { role: 'ADMIN' })).status).to.equal(303)
    expect(await host.db('users').where({ id: targetId }).first('role')).to.deep.equal({ role: 'ADMIN' })
    const service = await admin.post('/admin/services', {
      service_name: '', service_name_other: 'from-browser', service_url: 'http://127.0.0.1:3/', enabled: '1', config_data: '{}',
    })
    expect(service.status).to.be.oneOf([201, 303])
    expect(await host.db('service_configs').where({ service_name: 'from-browser' }).first()).to.not.equal(undefined)
    expect((await admin.post('/admin/knobs', { knob: 'on' })).text).to.equal('knob is on')
    expect((await admin.post('/knobs/reset')).text).to.equal('knob is off')
  })
})
