// Issue 19: sign in with Plex through the PIN flow, against a loopback plex.tv and Plex server.
import { expect } from 'chai'
import { tokenAad } from '../../../core/identity.ts'
import { count, pressSignIn, refusalOnLogin, signInWithPlex, startHarness, type Harness } from './plex-auth-harness.ts'

describe('plex-auth: sign in with Plex (PIN flow)', function () {
  this.timeout(60_000)
  let h: Harness

  before(async () => { h = await startHarness() })
  after(async () => { await h.stop() })

  it('sends the browser to Plex with a strong PIN, our product, a stable client id and our own callback', async () => {
    const first = await pressSignIn(h, h.host.client())
    const second = await pressSignIn(h, h.host.client())
    const created = h.plexTv.requests.filter((r) => r.method === 'POST' && r.path === '/api/v2/pins')
    expect(created).to.have.length(2)
    for (const r of created) {
      expect(r.query.strong).to.equal('true')
      expect(r.headers.accept).to.equal('application/json')
      expect(r.headers['x-plex-product']).to.equal('MediaNest')
    }
    expect(created[0].headers['x-plex-client-identifier']).to.equal(created[1].headers['x-plex-client-identifier'])
    const params = new URLSearchParams(first.res.location!.split('#?')[1])
    expect(params.get('clientID')).to.equal(created[0].headers['x-plex-client-identifier'])
    expect(params.get('forwardUrl')).to.equal(`${h.host.url}/plex-auth/callback`)
    // Built from this request when publicUrl is unset: no cache may hand it to another browser.
    expect(first.res.headers.get('cache-control')).to.equal('no-store')
    expect(params.get('context[device][product]')).to.equal('MediaNest')
    expect(first.code).to.not.equal(second.code)
    expect(first.res.headers.get('set-cookie')).to.match(/mn_plex_pin=[^;]+;.*HttpOnly/i).and.match(/SameSite=Lax/i)
  })

  it('sends Plex back to the site\'s configured address (publicUrl), not the one the request came in on', async () => {
    const site = await startHarness({ hostConfig: { publicUrl: 'https://media.example.com' } })
    try {
      const pressed = await pressSignIn(site, site.host.client())
      const params = new URLSearchParams(pressed.res.location!.split('#?')[1])
      expect(params.get('forwardUrl')).to.equal('https://media.example.com/plex-auth/callback')
    } finally {
      await site.stop()
    }
  })

  it('lets the server owner in as the first admin, with the Plex token sealed in accounts', async () => {
    const { client, res } = await signInWithPlex(h, h.owner, '/account')
    expect(res.status, res.text.slice(0, 500)).to.equal(303)
    expect(res.location).to.equal('/account')
    expect((await client.get('/account')).status).to.equal(200)
    const user = await h.host.db('users').where({ plex_id: String(h.owner.id) }).first()
    expect(user).to.include({ email: 'owner@example.com', role: 'ADMIN', plex_username: 'Owner', plex_token: null })
    const account = await h.host.db('accounts').where({ provider: 'plex', provider_account_id: String(h.owner.id) }).first()
    const token = h.plexTv.pins().find((p) => p.authToken && p.clientIdentifier)!.authToken!
    expect(account.access_token).to.be.a('string').and.not.include(token)
    const opened = h.host.app.core.secrets.decrypt(account.access_token, tokenAad(account.id, 'access_token'))
    expect(h.plexTv.pins().some((p) => p.authToken === opened)).to.equal(true)
    expect((await h.host.db('sessions').where({ user_id: user.id }).first()).sign_in_method).to.equal('plex')
    // The token went only in headers, and is on none of the pages the owner sees.
    expect(h.plexTv.requests.some((r) => r.url.includes(opened))).to.equal(false)
    expect(res.location).to.not.include(opened)
    for (const path of ['/account', '/admin/plex-auth', '/admin/plex-auth/servers', '/admin/users']) {
      expect((await client.get(path)).text, path).to.not.include(opened)
    }
  })

  it('lets a friend the server is shared with in as a USER', async () => {
    const friend = h.plexTv.addUser({ username: 'Friend' })
    h.plexTv.shareServer(h.pms.machineIdentifier, friend.id)
    const { res } = await signInWithPlex(h, friend)
    expect(res.status).to.equal(303)
    expect(await h.host.db('users').where({ plex_id: String(friend.id) }).first()).to.include({ role: 'USER', email: 'friend@example.com' })
  })

  it('refuses a stranger and a friend without a share, and writes no user or account', async () => {
    const stranger = h.plexTv.addUser({ username: 'Stranger' })
    const other = h.plexTv.addUser({ username: 'OtherFriend' })
    h.plexTv.addServer({ clientIdentifier: 'someone-elses-server', ownerId: stranger.id })
    h.plexTv.shareServer('someone-elses-server', other.id)
    for (const person of [stranger, other]) {
      const users = await count(h.host, 'users')
      const { client, res } = await signInWithPlex(h, person)
      expect(await refusalOnLogin(client, res)).to.include('Your Plex account has no access to this server')
      expect(await count(h.host, 'users')).to.equal(users)
      expect(await count(h.host, 'accounts', { provider: 'plex', provider_account_id: String(person.id) })).to.equal(0)
    }
  })

  it('updates the profile on the next sign-in, with no second row', async () => {
    const person = h.plexTv.addUser({ username: 'Renamer' })
    h.plexTv.shareServer(h.pms.machineIdentifier, person.id)
    await signInWithPlex(h, person)
    person.title = 'Renamed Person'
    person.username = 'renamed'
    const { res } = await signInWithPlex(h, person)
    expect(res.status).to.equal(303)
    expect(await count(h.host, 'accounts', { provider: 'plex', provider_account_id: String(person.id) })).to.equal(1)
    expect(await h.host.db('users').where({ plex_id: String(person.id) }).first()).to.include({ name: 'Renamed Person', plex_username: 'renamed' })
  })

  it('never links to a local account by an email plex.tv has not confirmed', async () => {
    const local = await h.host.createUser({ role: 'ADMIN', email: 'local.admin@example.com' })
    const claimant = h.plexTv.addUser({ username: 'Claimant', email: 'Local.Admin@example.com' })
    h.plexTv.shareServer(h.pms.machineIdentifier, claimant.id)
    const { client, res } = await signInWithPlex(h, claimant)
    expect(await refusalOnLogin(client, res)).to.include('already exists')
    expect(await count(h.host, 'accounts', { user_id: local.id })).to.equal(0)
    expect(await count(h.host, 'users', { plex_id: String(claimant.id) })).to.equal(0)
  })

  it('says so when the PIN expires before Plex confirms it', async () => {
    const client = h.host.client()
    const { code } = await pressSignIn(h, client)
    h.plexTv.expirePin(code)
    const res = await client.get('/plex-auth/callback')
    expect(await refusalOnLogin(client, res)).to.include('expired before Plex confirmed it')
  })

  it('binds the PIN to the browser that asked for it: another browser gets nothing', async () => {
    const person = h.plexTv.addUser({ username: 'Bound' })
    h.plexTv.shareServer(h.pms.machineIdentifier, person.id)
    const mine = h.host.client()
    const { code } = await pressSignIn(h, mine)
    h.plexTv.approvePin(code, person.id)
    const thief = h.host.client()
    await thief.get('/login')
    expect(await refusalOnLogin(thief, await thief.get('/plex-auth/callback'))).to.include('started in another browser')
    thief.setCookie('mn_plex_pin', 'x'.repeat(43))
    expect(await refusalOnLogin(thief, await thief.get('/plex-auth/callback'))).to.include('started in another browser')
    expect(await count(h.host, 'users', { plex_id: String(person.id) })).to.equal(0)
    expect((await mine.get('/plex-auth/callback')).status).to.equal(303)
  })

  it('waits for Plex: the page polls every 2 s, the button says Plex has not confirmed yet, then htmx is redirected', async () => {
    const person = h.plexTv.addUser({ username: 'Patient' })
    h.plexTv.shareServer(h.pms.machineIdentifier, person.id)
    const client = h.host.client()
    const { code } = await pressSignIn(h, client, '/account')
    const page = await client.get('/plex-auth/callback')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('hx-trigger="every 2s"').and.include('I have signed in to Plex')
    const pressed = await client.post('/plex-auth/callback')
    expect(pressed.status).to.equal(200)
    expect(pressed.text).to.include('Plex has not confirmed your sign-in yet')
    const poll = await client.get('/plex-auth/callback', { htmx: true })
    expect(poll.status).to.equal(200)
    expect(poll.text).to.not.include('<html')
    h.plexTv.approvePin(code, person.id)
    const done = await client.get('/plex-auth/callback', { htmx: true })
    expect(done.status).to.equal(204)
    expect(done.headers.get('HX-Redirect')).to.equal('/account')
  })

  it('refuses a Plex account without an email, and a suspended user, in words', async () => {
    const managed = h.plexTv.addUser({ username: 'Managed', email: null })
    h.plexTv.shareServer(h.pms.machineIdentifier, managed.id)
    const noEmail = await signInWithPlex(h, managed)
    expect(await refusalOnLogin(noEmail.client, noEmail.res)).to.include('no usable email address')
    expect(await count(h.host, 'users', { plex_id: String(managed.id) })).to.equal(0)

    const person = h.plexTv.addUser({ username: 'Suspended' })
    h.plexTv.shareServer(h.pms.machineIdentifier, person.id)
    await signInWithPlex(h, person)
    await h.host.db('users').where({ plex_id: String(person.id) }).update({ status: 'suspended' })
    const again = await signInWithPlex(h, person)
    expect(await refusalOnLogin(again.client, again.res)).to.include('This account is suspended')
  })

  it('cleans expired PINs on a schedule, and keeps live ones', async () => {
    const client = h.host.client()
    await pressSignIn(h, client)
    await h.host.db('plex_auth_pins').insert({ browser_hash: 'e'.repeat(64), pin_id: 1, code: 'old', expires_at: new Date(Date.now() - 1000) })
    const live = await count(h.host, 'plex_auth_pins', {})
    const plugin = h.host.app.host.plugins.find((p) => p.name === 'plex-auth')!
    const schedule = plugin.contributions.schedules!.find((s) => s.id === 'expire-pins')!
    await schedule.run({ signal: AbortSignal.timeout(10_000), log: h.host.app.log })
    expect(await count(h.host, 'plex_auth_pins', { code: 'old' })).to.equal(0)
    expect(await count(h.host, 'plex_auth_pins')).to.equal(live - 1)
  })
})
