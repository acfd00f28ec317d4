// Plugin API 1.2, through the api-tour fixture (a community-style plugin): sign-in
// methods that hide themselves, owner-first setup behind the setup code, refusals shown
// on /login, services.save for a plugin's own service types, and http.sendTo.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { bootProblems, startTestHost, type TestHost } from '../support/test-host.ts'
import { logDuring } from '../support/log-capture.ts'
import { waitFor } from '../support/wait-for.ts'
import { issueCode } from '../../core/auth/one-time-codes.ts'
import { apiKeyAad } from '../../core/services/configs.ts'
import type { TestClient } from '../support/http-client.ts'

const TOUR = fileURLToPath(new URL('../fixtures/plugins/api-tour', import.meta.url))
const CODE = 'WXYZ-2345-6789-ABCD'
const count = async (host: TestHost, table: string, where: Record<string, unknown> = {}) =>
  Number((await host.db(table).where(where).count('* as n').first())!.n)

describe('plugin API 1.2: sign-in methods, setup, refusals, services.save, sendTo', function () {
  this.timeout(60_000)
  let host: TestHost
  let serial = 0

  beforeEach(async () => {
    host = await startTestHost({ plugins: { 'api-tour': { enabled: true, source: TOUR } } })
    await issueCode(host.db, 'setup', 3600_000, CODE)
  })
  afterEach(async () => { await host.stop() })

  const tourSignIn = (client: TestClient, fields: Record<string, string>) =>
    client.post('/api-tour/sign-in', { id: `t-${++serial}`, email: `t${serial}@example.com`, verified: '1', ...fields })

  it('hides a method that is not available, and one whose available() throws (logged)', async () => {
    const client = host.client()
    const lines = await logDuring(host.app.log, 'warn', async () => {
      const login = await client.get('/login')
      expect(login.text).to.include('Sign in with Tour').and.not.include('Hidden Tour').and.not.include('Broken Tour')
    })
    expect(lines.some((l) => String(l.message).includes('"tour-broken"') && String(l.message).includes('cannot tell'))).to.equal(true)
  })

  it('setup: the code opens a signed grant; only with it does a sign-in make the first admin, using the code up', async () => {
    const client = host.client()
    expect((await client.get('/setup')).text).to.include('Sign in with Tour as the server owner')
    expect(JSON.parse((await client.get('/api-tour/setup')).text)).to.deep.equal({ granted: false })

    // Without a grant, asking for setup writes nothing.
    const refused = await tourSignIn(client, { setup: '1' })
    expect(refused.status).to.equal(403)
    expect(await count(host, 'users')).to.equal(0)

    const wrong = await client.post('/setup/with/tour', { code: 'NOPE' })
    expect(wrong.status).to.equal(401)
    expect(await count(host, 'verification_tokens', { identifier: 'setup' })).to.equal(1)
    expect((await client.post('/setup/with/nothing', { code: CODE })).status).to.equal(404)

    const granted = await client.post('/setup/with/tour', { code: CODE }, { htmx: true })
    expect(granted.status).to.equal(204)
    expect(granted.headers.get('HX-Redirect')).to.equal('/api-tour/setup')
    expect(JSON.parse((await client.get('/api-tour/setup')).text)).to.deep.equal({ granted: true })
    // The grant is this browser's: another one holds none.
    expect(JSON.parse((await host.client().get('/api-tour/setup')).text)).to.deep.equal({ granted: false })

    const done = await tourSignIn(client, { setup: '1', email: 'owner@example.com' })
    expect(done.status).to.equal(303)
    expect(await host.db('users').where({ email: 'owner@example.com' }).first()).to.include({ role: 'ADMIN' })
    expect(await count(host, 'verification_tokens', { identifier: 'setup' })).to.equal(0)
    // Used up: the same browser cannot make a second admin.
    expect(JSON.parse((await client.get('/api-tour/setup')).text)).to.deep.equal({ granted: false })
    expect((await tourSignIn(client, { setup: '1' })).status).to.equal(403)
    expect(await count(host, 'users', { role: 'ADMIN' })).to.equal(1)
  })

  it('setup: two browsers racing with one code make one admin', async () => {
    const a = host.client()
    const b = host.client()
    await a.post('/setup/with/tour', { code: CODE })
    await b.post('/setup/with/tour', { code: CODE })
    const answers = await Promise.all([tourSignIn(a, { setup: '1' }), tourSignIn(b, { setup: '1' })])
    expect(answers.map((r) => r.status).sort()).to.deep.equal([303, 403])
    expect(await count(host, 'users')).to.equal(1)
    expect(await count(host, 'users', { role: 'ADMIN' })).to.equal(1)
  })

  it('setup: a tampered or expired grant is worth nothing', async () => {
    const client = host.client()
    await client.post('/setup/with/tour', { code: CODE })
    const grant = client.cookie('mn_setup_grant')!
    const [expires, value, mac] = grant.split('.')
    client.setCookie('mn_setup_grant', `${Number(expires) + 86_400_000}.${value}.${mac}`)
    expect(JSON.parse((await client.get('/api-tour/setup')).text)).to.deep.equal({ granted: false })
    client.setCookie('mn_setup_grant', `${expires}.${value}.${mac.slice(0, -2)}AA`)
    expect(JSON.parse((await client.get('/api-tour/setup')).text)).to.deep.equal({ granted: false })
  })

  it('refuse: back to /login with the reason shown once, escaped; a visitor cannot plant one', async () => {
    const client = host.client()
    await client.get('/login')
    const res = await client.post('/api-tour/refuse', { message: 'No <b>entry</b>\u0007 for you', next: '/account' })
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/login?next=%2Faccount')
    const page = await client.get(res.location!)
    expect(page.text).to.include('id="login-refusal"').and.include('No &lt;b&gt;entry&lt;/b&gt; for you').and.not.include('\u0007')
    expect((await client.get('/login')).text).to.not.include('id="login-refusal"')

    const hx = await client.post('/api-tour/refuse', { message: 'Nope', next: '//evil.example' }, { htmx: true })
    expect(hx.status).to.equal(204)
    expect(hx.headers.get('HX-Redirect')).to.equal('/login')

    const visitor = host.client()
    visitor.setCookie('mn_login_refusal', `${Date.now() + 60_000}.${Buffer.from('Call 555-SCAM').toString('base64url')}.bad`)
    expect((await visitor.get('/login')).text).to.not.include('555-SCAM')
  })

  it('services.save: a service of its own type, sealed and announced; another plugin\'s type is refused', async () => {
    const { client, user } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const saved = await client.post('/api-tour/save-service', { name: 'api-tour-svc', url: 'http://127.0.0.1:5055', key: 'k-123' })
    expect(JSON.parse(saved.text)).to.deep.equal({ name: 'api-tour-svc', url: 'http://127.0.0.1:5055', hasKey: true, key: 'k-123' })
    const row = await host.db('service_configs').where({ service_name: 'api-tour-svc' }).first()
    expect(row).to.include({ updated_by: user.id, enabled: true })
    expect(row.api_key).to.not.include('k-123')
    expect(host.app.core.secrets.decrypt(row.api_key, apiKeyAad('api-tour-svc'))).to.equal('k-123')
    // Announced: the event reaches a subscriber through the durable queue, so in its own time.
    await waitFor('core.service.updated (created) to reach the subscriber', async () =>
      (await host.db('api_tour_seen').where({ event: 'core.service.updated' }))
        .some((s) => (typeof s.payload === 'string' ? JSON.parse(s.payload) : s.payload).action === 'created'))

    // Omitted key kept on the same server; dropped when the address moves elsewhere.
    await client.post('/api-tour/save-service', { name: 'api-tour-svc', url: 'http://127.0.0.1:5055/base' })
    expect((await host.db('service_configs').where({ service_name: 'api-tour-svc' }).first()).api_key).to.not.equal(null)
    await client.post('/api-tour/save-service', { name: 'api-tour-svc', url: 'http://10.0.0.9:5055' })
    expect((await host.db('service_configs').where({ service_name: 'api-tour-svc' }).first()).api_key).to.equal(null)

    const bad = await client.post('/api-tour/save-service', { name: 'api-tour-svc', url: 'file:///etc/passwd' })
    expect(bad.status).to.equal(422)
    expect(bad.text).to.include('Only http:// and https://')
    expect(await count(host, 'service_configs')).to.equal(1)
    const foreign = await client.post('/api-tour/save-service', { name: 'plex', url: 'http://127.0.0.1:32400' })
    expect(foreign.status).to.equal(500)
    expect(await count(host, 'service_configs')).to.equal(1)
  })

  it('http.sendTo: 303 for a form, HX-Redirect for htmx, and only to a local path', async () => {
    const { client } = await host.signedIn()
    const plain = await client.post('/api-tour/send-to', { to: '/account' })
    expect(plain.status).to.equal(303)
    expect(plain.location).to.equal('/account')
    const hx = await client.post('/api-tour/send-to', { to: '/account' }, { htmx: true })
    expect(hx.status).to.equal(204)
    expect(hx.headers.get('HX-Redirect')).to.equal('/account')
    expect((await client.post('/api-tour/send-to', { to: 'https://evil.example/' })).location).to.equal('/')
  })
})

describe('plugin API 1.2: a fallback service type', function () {
  this.timeout(60_000)
  const PLUGIN_API = fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))
  const fallbackPlugin = (name: string, message: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `medianest-${name}-`))
    fs.writeFileSync(path.join(dir, 'index.ts'), `
import { definePlugin } from ${JSON.stringify(PLUGIN_API)}
export default definePlugin({ name: '${name}', version: '1.0.0', api: '^1.2.0', register() { return {
  serviceTypes: [{ name: '${name}-any', label: 'Any', fallback: true, async test(s) { return { ok: true, message: '${message} ' + s.serviceName } } }],
} } })
`)
    return dir
  }

  it('tests a service no type claims, is not a kind to pick, and only one plugin may have one', async () => {
    const one = fallbackPlugin('fallback-one', 'checked by one:')
    const two = fallbackPlugin('fallback-two', 'checked by two:')
    try {
      const host = await startTestHost({ plugins: { 'fallback-one': { enabled: true, source: one } } })
      try {
        await host.db('service_configs').insert({ service_name: 'nas', service_url: 'http://127.0.0.1:9/', enabled: true })
        const plugin = host.app.host.plugins.find((p) => p.name === 'fallback-one')!
        expect(await plugin.ctx!.services.check('nas')).to.include({ ok: true, message: 'checked by one: nas' })
        expect(plugin.ctx!.services.types().find((t) => t.name === 'fallback-one-any')).to.include({ fallback: true })
        const { client } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
        expect((await client.get('/admin/services/new')).text).to.not.include('fallback-one-any')
      } finally {
        await host.stop()
      }
      const problems = await bootProblems({ 'fallback-one': { enabled: true, source: one }, 'fallback-two': { enabled: true, source: two } })
      expect(problems.join('\n')).to.include('already tests the services no type claims')
    } finally {
      fs.rmSync(one, { recursive: true, force: true })
      fs.rmSync(two, { recursive: true, force: true })
    }
  })
})
