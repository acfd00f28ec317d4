import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { logDuring } from '../support/log-capture.ts'
import { tokenAad } from '../../core/identity.ts'

const TOUR = fileURLToPath(new URL('../fixtures/plugins/api-tour', import.meta.url))
const count = async (host: TestHost, table: string, where: Record<string, unknown> = {}) =>
  Number((await host.db(table).where(where).count('* as n').first())!.n)

describe('plugin API 1.1: sign-in by a plugin (ctx.identity)', function () {
  this.timeout(60_000)
  let host: TestHost
  let serial = 0
  const uniqueId = () => `acct-${++serial}-${Date.now()}`

  before(async () => { host = await startTestHost({ plugins: { 'api-tour': { enabled: true, source: TOUR } } }) })
  after(async () => { await host.stop() })

  const signInWithTour = async (fields: Record<string, string>, htmx = false) => {
    const client = host.client()
    await client.get('/login')
    const res = await client.post('/api-tour/sign-in', fields, { htmx })
    return { client, res }
  }

  it('creates the user and a sealed account, starts a session like the password form, and goes where it was going', async () => {
    const id = uniqueId()
    const lines = await logDuring(host.app.log, 'info', async () => {
      const { client, res } = await signInWithTour({ id, email: 'New.Person@Example.com', verified: '1', name: 'New Person', token: 'tok-secret-123', next: '/account' })
      expect(res.status).to.equal(303)
      expect(res.location).to.equal('/account')
      expect((await client.get('/account')).status).to.equal(200)
    })
    const user = await host.db('users').where({ email: 'new.person@example.com' }).first()
    expect(user).to.include({ name: 'New Person', role: 'USER', status: 'active', password_hash: null })
    expect(user.last_login_at).to.be.instanceOf(Date)
    const account = await host.db('accounts').where({ provider: 'tour', provider_account_id: id }).first()
    expect(account.user_id).to.equal(user.id)
    expect(account.access_token).to.not.include('tok-secret-123')
    expect(host.app.core.secrets.decrypt(account.access_token, tokenAad(account.id, 'access_token'))).to.equal('tok-secret-123')
    // Sealed to its own row: moved to another row it does not open.
    expect(() => host.app.core.secrets.decrypt(account.access_token, tokenAad('00000000-0000-0000-0000-000000000000', 'access_token'))).to.throw()
    const session = await host.db('sessions').where({ user_id: user.id }).first()
    expect(session.sign_in_method).to.equal('tour')
    expect(lines.some((l) => l.audit === 'sign-in' && l.method === 'tour' && l.user === user.id)).to.equal(true)
    expect(JSON.stringify(lines)).to.not.include('tok-secret-123')
  })

  it('answers htmx with HX-Redirect, and never sends anyone off-site', async () => {
    const { res } = await signInWithTour({ id: uniqueId(), email: `hx${serial}@example.com`, verified: '1', next: '/\t/evil.example' }, true)
    expect(res.status).to.equal(204)
    expect(res.headers.get('HX-Redirect')).to.equal('/')
  })

  it('finds the same user next time and updates the profile, without a second row', async () => {
    const id = uniqueId()
    await signInWithTour({ id, email: `again${serial}@example.com`, verified: '1', name: 'Before' })
    const { client } = await signInWithTour({ id, email: `again${serial}@example.com`, verified: '1', name: 'After', image: 'javascript:alert(1)', token: 'second' })
    expect(await count(host, 'accounts', { provider: 'tour', provider_account_id: id })).to.equal(1)
    const user = await host.db('users').where({ email: `again${serial}@example.com` }).first()
    expect(user).to.include({ name: 'After', image: null })
    const mine = JSON.parse((await client.get('/api-tour/identity', { headers: { Accept: 'application/json' } })).text)
    expect(mine.found).to.include({ id: user.id, email: user.email })
    expect(mine.tokens).to.include({ accessToken: 'second', refreshToken: `refresh-${id}` })
  })

  it('links an existing user by a confirmed email', async () => {
    const local = await host.createUser()
    const id = uniqueId()
    const { res } = await signInWithTour({ id, email: local.email.toUpperCase(), verified: '1' })
    expect(res.status).to.equal(303)
    expect((await host.db('accounts').where({ provider: 'tour', provider_account_id: id }).first()).user_id).to.equal(local.id)
    expect(await count(host, 'users', { email: local.email })).to.equal(1)
  })

  it('never links an unconfirmed email to the user who has it (no account takeover), and writes nothing', async () => {
    const owner = await host.createUser({ role: 'ADMIN' })
    const users = await count(host, 'users')
    const id = uniqueId()
    const { res, client } = await signInWithTour({ id, email: owner.email, verified: '0', name: 'Mallory' })
    expect(res.status).to.equal(409)
    expect(res.text).to.include('has not confirmed that this address is yours')
    expect(await count(host, 'users')).to.equal(users)
    expect(await count(host, 'accounts', { provider_account_id: id })).to.equal(0)
    expect(await count(host, 'sessions', { user_id: owner.id })).to.equal(0)
    expect((await client.get('/account')).status).to.equal(303)
  })

  it('refuses a suspended user with the password form\'s words, and starts no session', async () => {
    const suspended = await host.createUser({ status: 'suspended' })
    const id = uniqueId()
    const { res } = await signInWithTour({ id, email: suspended.email, verified: '1' })
    expect(res.status).to.equal(403)
    expect(res.text).to.include('This account is suspended. Ask an admin to reactivate it.')
    expect(await count(host, 'sessions', { user_id: suspended.id })).to.equal(0)
    expect(await count(host, 'accounts', { provider_account_id: id })).to.equal(0)
  })

  it('refuses an account without an email, writing nothing', async () => {
    const users = await count(host, 'users')
    const { res } = await signInWithTour({ id: uniqueId(), email: '', verified: '1' })
    expect(res.status).to.equal(422)
    expect(res.text).to.include('has no usable email address')
    expect(await count(host, 'users')).to.equal(users)
  })

  it('grants ADMIN only while no active admin exists', async () => {
    await host.db('users').where({ role: 'ADMIN' }).update({ role: 'USER' })
    await signInWithTour({ id: uniqueId(), email: `owner${serial}@example.com`, verified: '1', role: 'ADMIN' })
    expect((await host.db('users').where({ email: `owner${serial}@example.com` }).first()).role).to.equal('ADMIN')
    await signInWithTour({ id: uniqueId(), email: `second${serial}@example.com`, verified: '1', role: 'ADMIN' })
    expect((await host.db('users').where({ email: `second${serial}@example.com` }).first()).role).to.equal('USER')
  })

  it('keeps a plugin to the providers it declared', async () => {
    const users = await count(host, 'users')
    const { res } = await signInWithTour({ id: uniqueId(), provider: 'plex', email: `plex${serial}@example.com`, verified: '1' })
    expect(res.status).to.equal(500)
    expect(await count(host, 'users')).to.equal(users)
  })

  it('rotates a live session, and ends only the sessions of its own provider', async () => {
    const local = await host.createUser()
    const { client } = await host.signedIn(local)
    const passwordSession = await host.db('sessions').where({ user_id: local.id }).first()
    const id = uniqueId()
    const res = await client.post('/api-tour/sign-in', { id, email: local.email, verified: '1' })
    expect(res.status).to.equal(303)
    expect(await host.db('sessions').where({ id: passwordSession.id }).first()).to.equal(undefined)
    const other = await host.signedIn(local)
    await client.get('/')
    const ended = JSON.parse((await client.post('/api-tour/end-sessions', {}, { headers: { Accept: 'application/json' } })).text)
    expect(ended.ended).to.equal(1)
    expect((await other.client.get('/account')).status).to.equal(200)
    expect((await client.get('/account')).status).to.equal(303)
  })
})

describe('auth.passwordLogin: who may use the password form', function () {
  this.timeout(60_000)
  const tour = { 'api-tour': { enabled: true, source: TOUR } }
  const tryPassword = async (host: TestHost, user: { email: string; password: string }) => {
    const client = host.client()
    await client.get('/login')
    return client.post('/login', { email: user.email, password: user.password, next: '/account' })
  }

  it('"admins": the form waits behind a summary, admins get in, others are sent to the plugin\'s button', async () => {
    const host = await startTestHost({ plugins: tour, config: { auth: { passwordLogin: 'admins' } } })
    try {
      const page = (await host.client().get('/login?next=%2Faccount')).text
      expect(page).to.include('<summary>Admins: sign in with a password</summary>')
      expect(page).to.include('href="/api-tour/start?next=%2Faccount"')
      const admin = await host.createUser({ role: 'ADMIN' })
      expect((await tryPassword(host, admin)).location).to.equal('/account')
      const user = await host.createUser()
      const refused = await tryPassword(host, user)
      expect(refused.status).to.equal(403)
      expect(refused.text).to.include('Here, only admins sign in with a password. Use “Sign in with Tour” instead.')
      expect(await count(host, 'sessions', { user_id: user.id })).to.equal(0)
    } finally {
      await host.stop()
    }
  })

  it('"off": no password form and no password sign-in, for anyone', async () => {
    const host = await startTestHost({ plugins: tour, config: { auth: { passwordLogin: 'off' } } })
    try {
      expect((await host.client().get('/login')).text).to.not.include('name="password"')
      const admin = await host.createUser({ role: 'ADMIN' })
      const refused = await tryPassword(host, admin)
      expect(refused.status).to.equal(403)
      expect(await count(host, 'sessions', { user_id: admin.id })).to.equal(0)
    } finally {
      await host.stop()
    }
  })

  it('"off" with no other way in keeps the password form for admins, rather than locking everyone out', async () => {
    const host = await startTestHost({ config: { auth: { passwordLogin: 'off' } } })
    try {
      const admin = await host.createUser({ role: 'ADMIN' })
      expect((await tryPassword(host, admin)).status).to.equal(303)
      expect((await tryPassword(host, await host.createUser())).status).to.equal(403)
    } finally {
      await host.stop()
    }
  })
})
