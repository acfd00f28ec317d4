// Issue 19: plex.tv or the Plex server failing mid-sign-in, and sign-in before a server is set up.
import { expect } from 'chai'
import { logDuring } from '../../support/log-capture.ts'
import { resetBreakers } from '../../../core/upstream.ts'
import { configurePlexService, count, pressSignIn, signInWithPlex, startHarness, type Harness } from './plex-auth-harness.ts'

describe('plex-auth: sign-in when plex.tv or the server fails', function () {
  this.timeout(60_000)
  let h: Harness

  before(async () => { h = await startHarness() })
  after(async () => { await h.stop() })
  afterEach(async () => {
    await h.plexTv.recover()
    await h.pms.recover()
    resetBreakers()
  })

  const noRowsFor = async (plexId: number) => {
    expect(await count(h.host, 'users', { plex_id: String(plexId) })).to.equal(0)
    expect(await count(h.host, 'accounts', { provider: 'plex', provider_account_id: String(plexId) })).to.equal(0)
  }

  it('plex.tv failing (500) when the button is pressed: a page in words, logged with the request id', async () => {
    h.plexTv.status(500, '/api/v2/pins')
    const client = h.host.client()
    await client.get('/login')
    let res!: Awaited<ReturnType<typeof client.get>>
    const lines = await logDuring(h.host.app.log, 'warn', async () => { res = await client.get('/plex-auth/start') })
    expect(res.status).to.equal(502)
    expect(res.text).to.include('plex.tv could not be reached to finish your sign-in').and.include('HTTP 500')
    const id = res.headers.get('X-Request-Id')
    expect(lines.some((l) => l.requestId === id && String(l.message).includes('Plex sign-in refused'))).to.equal(true)
  })

  it('plex.tv not answering in time: says so, and nothing is written', async () => {
    h.plexTv.slow(undefined, '/api/v2/pins')
    const client = h.host.client()
    await client.get('/login')
    const pins = await count(h.host, 'plex_auth_pins')
    const res = await client.get('/plex-auth/start')
    expect(res.status).to.equal(502)
    expect(res.text).to.include('did not answer within 2 s')
    expect(await count(h.host, 'plex_auth_pins')).to.equal(pins)
  })

  it('plex.tv answering garbage while the PIN is read', async () => {
    const client = h.host.client()
    await pressSignIn(h, client)
    h.plexTv.garbage()
    const res = await client.get('/plex-auth/callback')
    expect(res.status).to.equal(502)
    expect(res.text).to.include('not valid JSON')
  })

  it('a token plex.tv refuses (401) right after approval: refused in words, no half user, the token in no log line', async () => {
    const person = h.plexTv.addUser({ username: 'Revoked' })
    h.plexTv.shareServer(h.pms.machineIdentifier, person.id)
    const client = h.host.client()
    const { code } = await pressSignIn(h, client)
    const token = h.plexTv.approvePin(code, person.id)
    h.plexTv.revokeToken(token)
    let res!: Awaited<ReturnType<typeof client.get>>
    const lines = await logDuring(h.host.app.log, 'debug', async () => { res = await client.get('/plex-auth/callback') })
    expect(res.status).to.equal(401)
    expect(res.text).to.include('Plex did not accept the sign-in').and.not.include(token)
    expect(JSON.stringify(lines)).to.not.include(token)
    await noRowsFor(person.id)
  })

  it('the Plex server down while access is checked: refused, nothing written', async () => {
    const person = h.plexTv.addUser({ username: 'Unlucky' })
    h.plexTv.shareServer(h.pms.machineIdentifier, person.id)
    await h.pms.down()
    const { res } = await signInWithPlex(h, person)
    expect(res.status).to.equal(502)
    expect(res.text).to.include('The Plex server could not be reached')
    await noRowsFor(person.id)
  })
})

describe('plex-auth: before a Plex server is set up', function () {
  this.timeout(60_000)
  let h: Harness

  beforeEach(async () => { h = await startHarness({ configureServer: false }) })
  afterEach(async () => { await h.stop() })

  it('on a fresh install, lets the owner of a server in as admin, refuses an account that owns none, and lists the owner’s servers with tested addresses', async () => {
    const nobody = h.plexTv.addUser({ username: 'NoServer' })
    const refused = await signInWithPlex(h, nobody)
    expect(refused.res.status).to.equal(403)
    expect(refused.res.text).to.include('owns no server')
    expect(await count(h.host, 'users')).to.equal(0)

    const { client, res } = await signInWithPlex(h, h.owner)
    expect(res.status).to.equal(303)
    expect(await h.host.db('users').where({ plex_id: String(h.owner.id) }).first()).to.include({ role: 'ADMIN' })
    const admin = await client.get('/admin/plex-auth')
    expect(admin.text).to.include('No Plex server is set up')
    const servers = await client.get('/admin/plex-auth/servers')
    expect(servers.status).to.equal(200)
    expect(servers.text).to.include('Home Server').and.include(`<code>${h.pms.url}</code>`)
    expect(servers.text).to.include('(local): ✓')
  })

  it('once an admin exists, says Plex sign-in is not set up yet', async () => {
    await h.host.createUser({ role: 'ADMIN' })
    const client = h.host.client()
    await client.get('/login')
    const res = await client.get('/plex-auth/start')
    expect(res.status).to.equal(503)
    expect(res.text).to.include('Plex sign-in is not set up yet')
    await configurePlexService(h.host, h.pms.url)
    expect((await client.get('/plex-auth/start')).status).to.equal(303)
  })
})
