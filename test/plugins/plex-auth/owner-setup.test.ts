// Issue 19: before a Plex server is set up, and the owner-first setup behind the setup
// code: the owner's Plex sign-in makes the first admin, who picks the server; the
// "plex" service is saved with the owner's token.
import { expect } from 'chai'
import { issueCode } from '../../../core/auth/one-time-codes.ts'
import { apiKeyAad } from '../../../core/services/configs.ts'
import type { TestClient } from '../../support/http-client.ts'
import { configurePlexService, count, refusalOnLogin, startHarness, type Harness } from './plex-auth-harness.ts'
import type { FakePlexUser } from '../../support/fake-plex-tv.ts'

const CODE = 'ABCD-EFGH-JKLM-NPQR'

describe('plex-auth: before a Plex server is set up', function () {
  this.timeout(60_000)
  let h: Harness

  beforeEach(async () => { h = await startHarness({ configureServer: false }) })
  afterEach(async () => { await h.stop() })

  it('hides the button; the start address refuses on /login, even for a server owner on a fresh install, and writes nothing', async () => {
    const client = h.host.client()
    expect((await client.get('/login')).text).to.not.include('Sign in with Plex')
    const pins = await count(h.host, 'plex_auth_pins')
    const res = await client.get('/plex-auth/start')
    expect(await refusalOnLogin(client, res)).to.include('Plex sign-in is not set up yet')
    expect(await count(h.host, 'plex_auth_pins')).to.equal(pins)
    expect(h.plexTv.requests.filter((r) => r.path === '/api/v2/pins')).to.have.length(0)
    expect(await count(h.host, 'users')).to.equal(0)

    await configurePlexService(h.host, h.pms.url)
    expect((await client.get('/login')).text).to.include('href="/plex-auth/start"')
    expect((await client.get('/plex-auth/start')).status).to.equal(303)
  })

  it('says on the admin dashboard and /admin/plex-auth what to set up', async () => {
    const { client } = await h.host.signedIn(await h.host.createUser({ role: 'ADMIN' }))
    expect((await client.get('/')).text).to.include('id="plex-auth-widget-sign-in"')
    expect((await client.get('/widgets/plex-auth/sign-in', { htmx: true })).text).to.include('Plex sign-in is not set up')
    const admin = await client.get('/admin/plex-auth')
    expect(admin.text).to.include('No Plex server is set up').and.include('href="/admin/services/new?type=plex"')
  })
})

describe('plex-auth: owner-first setup behind the setup code', function () {
  this.timeout(60_000)
  let h: Harness

  beforeEach(async () => {
    h = await startHarness({ configureServer: false })
    await issueCode(h.host.db, 'setup', 3600_000, CODE)
  })
  afterEach(async () => { await h.stop() })

  /** Enters the code on /setup for Plex; returns the answer (303 to /plex-auth/setup when right). */
  const enterCode = async (client: TestClient, code: string) => {
    const page = await client.get('/setup')
    expect(page.text).to.include('Sign in with Plex as the server owner')
    return client.post('/setup/with/plex', { code })
  }
  /** From the granted browser: the PIN at Plex, approved as `user`, back to the callback. */
  const signInAsOwner = async (client: TestClient, user: FakePlexUser) => {
    const start = await client.get('/plex-auth/setup')
    expect(start.status, start.text.slice(0, 300)).to.equal(303)
    const code = new URLSearchParams(start.location!.slice(start.location!.indexOf('#?') + 2)).get('code')!
    h.plexTv.approvePin(code, user.id)
    return client.get('/plex-auth/callback')
  }

  it('refuses a wrong code beside the field, with no grant; /plex-auth/setup without the code writes nothing', async () => {
    const client = h.host.client()
    const wrong = await enterCode(client, 'WRONG-CODE')
    expect(wrong.status).to.equal(401)
    expect(wrong.text).to.include('That setup code is wrong').and.include('aria-invalid="true"')
    expect(wrong.headers.get('set-cookie') ?? '').to.not.include('mn_setup_grant')
    const empty = await client.post('/setup/with/plex', { code: '' }, { htmx: true })
    expect(empty.status).to.equal(422)
    expect(empty.text).to.include('Enter the setup code').and.not.include('<html')

    const res = await client.get('/plex-auth/setup')
    expect(await refusalOnLogin(client, res)).to.include('starts on the setup page')
    expect(await count(h.host, 'plex_auth_pins')).to.equal(0)
    // A forged grant is worth nothing either.
    client.setCookie('mn_setup_grant', `${Date.now() + 60_000}.aGVsbG8.forged`)
    expect(await refusalOnLogin(client, await client.get('/plex-auth/setup'))).to.include('starts on the setup page')
    expect(await count(h.host, 'verification_tokens', { identifier: 'setup' })).to.equal(1)
  })

  it('makes the owner the first admin, uses the code up, and saves the server they pick with their token', async () => {
    const client = h.host.client()
    const granted = await enterCode(client, CODE.toLowerCase())
    expect(granted.status).to.equal(303)
    expect(granted.location).to.equal('/plex-auth/setup')
    const res = await signInAsOwner(client, h.owner)
    expect(res.status, res.text.slice(0, 300)).to.equal(303)
    expect(res.location).to.equal('/admin/plex-auth/servers')
    expect(await h.host.db('users').where({ plex_id: String(h.owner.id) }).first()).to.include({ role: 'ADMIN' })
    expect(await count(h.host, 'verification_tokens', { identifier: 'setup' })).to.equal(0)
    expect((await h.host.client().get('/setup')).status).to.equal(404)

    const servers = await client.get('/admin/plex-auth/servers')
    expect(servers.text).to.include('Home Server').and.include(`value="${h.pms.url}"`)
    expect(servers.text).to.match(/value="http:\/\/127\.0\.0\.1:1" disabled/)
    expect(servers.text).to.match(new RegExp(`value="${h.pms.url.replace(/[.]/g, '\\.')}" checked`))

    // An address that is not this server's, and one that did not answer: refused, nothing saved.
    const foreign = await client.post('/admin/plex-auth/servers', { server: h.pms.machineIdentifier, uri: 'http://evil.example' }, { htmx: true })
    expect(foreign.status).to.equal(422)
    expect(foreign.text).to.include('not one of your servers’ addresses').and.not.include('<html')
    const dead = await client.post('/admin/plex-auth/servers', { server: h.pms.machineIdentifier, uri: 'http://127.0.0.1:1' })
    expect(dead.status).to.equal(422)
    expect(dead.text).to.include('cannot use http://127.0.0.1:1')
    expect(await count(h.host, 'service_configs')).to.equal(0)

    const saved = await client.post('/admin/plex-auth/servers', { server: h.pms.machineIdentifier, uri: h.pms.url })
    expect(saved.status).to.equal(303)
    expect(saved.location).to.equal('/admin/plex-auth')
    const row = await h.host.db('service_configs').where({ service_name: 'plex' }).first()
    expect(row).to.include({ service_url: h.pms.url, enabled: true })
    const ownerToken = h.plexTv.pins().find((p) => p.authToken)!.authToken!
    expect(row.api_key).to.be.a('string').and.not.include(ownerToken)
    expect(h.host.app.core.secrets.decrypt(row.api_key, apiKeyAad('plex'))).to.equal(ownerToken)
    expect((await client.get('/admin/plex-auth')).text).to.include('Saved: Plex sign-in now checks against this server')

    // Now the button shows, and a friend with a share gets in as a USER.
    const friend = h.plexTv.addUser({ username: 'Friend' })
    h.plexTv.shareServer(h.pms.machineIdentifier, friend.id)
    const other = h.host.client()
    expect((await other.get('/login')).text).to.include('href="/plex-auth/start"')
    const start = await other.get('/plex-auth/start')
    h.plexTv.approvePin(new URLSearchParams(start.location!.split('#?')[1]).get('code')!, friend.id)
    expect((await other.get('/plex-auth/callback')).status).to.equal(303)
    expect(await h.host.db('users').where({ plex_id: String(friend.id) }).first()).to.include({ role: 'USER' })
  })

  it('refuses an account that owns no server: no user, and the code still works', async () => {
    const client = h.host.client()
    await enterCode(client, CODE)
    const nobody = h.plexTv.addUser({ username: 'NoServer' })
    const res = await signInAsOwner(client, nobody)
    expect(await refusalOnLogin(client, res)).to.include('owns no Plex server')
    expect(await count(h.host, 'users')).to.equal(0)
    expect(await count(h.host, 'verification_tokens', { identifier: 'setup' })).to.equal(1)
    expect((await signInAsOwner(client, h.owner)).location).to.equal('/admin/plex-auth/servers')
  })

  it('two browsers with the code: the first owner becomes admin, the second gets nothing', async () => {
    const first = h.host.client()
    const second = h.host.client()
    await enterCode(first, CODE)
    await enterCode(second, CODE)
    const rival = h.plexTv.addUser({ username: 'Rival' })
    h.plexTv.addServer({ clientIdentifier: 'rival-server', ownerId: rival.id, name: 'Rival' })
    expect((await signInAsOwner(first, h.owner)).status).to.equal(303)
    // The second browser's grant died with the code: its sign-in is refused at the start.
    expect(await refusalOnLogin(second, await second.get('/plex-auth/setup'))).to.include('starts on the setup page')
    expect(await count(h.host, 'users', { plex_id: String(rival.id) })).to.equal(0)
    expect(await count(h.host, 'users', { role: 'ADMIN' })).to.equal(1)
  })

  it('a grant that outlives the code at the last step: refused, nothing written', async () => {
    const client = h.host.client()
    await enterCode(client, CODE)
    const start = await client.get('/plex-auth/setup')
    h.plexTv.approvePin(new URLSearchParams(start.location!.split('#?')[1]).get('code')!, h.owner.id)
    await h.host.createUser({ role: 'ADMIN' }) // an admin appeared meanwhile (the password path)
    const res = await client.get('/plex-auth/callback')
    expect(await refusalOnLogin(client, res)).to.include('Plex sign-in is not set up yet')
    expect(await count(h.host, 'users', { plex_id: String(h.owner.id) })).to.equal(0)
  })
})
