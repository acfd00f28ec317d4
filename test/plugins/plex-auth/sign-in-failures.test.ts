// Issue 19: plex.tv or the Plex server failing mid-sign-in, and sign-in before a server is set up.
import { expect } from 'chai'
import { logDuring } from '../../support/log-capture.ts'
import { resetBreakers } from '../../../core/upstream.ts'
import { count, pressSignIn, refusalOnLogin, signInWithPlex, startHarness, type Harness } from './plex-auth-harness.ts'

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
    const id = res.headers.get('X-Request-Id')
    expect(await refusalOnLogin(client, res)).to.include('plex.tv could not be reached to finish your sign-in').and.include('HTTP 500')
    expect(lines.some((l) => l.requestId === id && String(l.message).includes('Plex sign-in refused'))).to.equal(true)
  })

  it('plex.tv not answering in time: says so, and nothing is written', async () => {
    h.plexTv.slow(undefined, '/api/v2/pins')
    const client = h.host.client()
    await client.get('/login')
    const pins = await count(h.host, 'plex_auth_pins')
    const res = await client.get('/plex-auth/start')
    expect(await refusalOnLogin(client, res)).to.include('did not answer within 2 s')
    expect(await count(h.host, 'plex_auth_pins')).to.equal(pins)
  })

  it('plex.tv answering garbage while the PIN is read', async () => {
    const client = h.host.client()
    await pressSignIn(h, client)
    h.plexTv.garbage()
    const res = await client.get('/plex-auth/callback')
    expect(await refusalOnLogin(client, res)).to.include('not valid JSON')
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
    expect(res.text).to.not.include(token)
    expect(await refusalOnLogin(client, res)).to.include('Plex did not accept the sign-in').and.not.include(token)
    expect(JSON.stringify(lines)).to.not.include(token)
    await noRowsFor(person.id)
  })

  it('the Plex server down while access is checked: refused, nothing written', async () => {
    const person = h.plexTv.addUser({ username: 'Unlucky' })
    h.plexTv.shareServer(h.pms.machineIdentifier, person.id)
    await h.pms.down()
    const { client, res } = await signInWithPlex(h, person)
    expect(await refusalOnLogin(client, res)).to.include('The Plex server could not be reached')
    await noRowsFor(person.id)
  })
})

