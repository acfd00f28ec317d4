import { expect } from 'chai'
import { clock } from '../../core/clock.ts'
import { startOfRateWindow } from '../support/rate-windows.ts'
import { issueCode } from '../../core/auth/one-time-codes.ts'
import { hashToken } from '../../core/auth/tokens.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { freshDatabase, onPostgres } from '../support/test-db.ts'

const count = async (host: TestHost, table: string) => Number((await host.db(table).count('* as n').first())!.n)

describe('sign-in: local accounts', function () {
  this.timeout(60_000)
  let host: TestHost
  before(async () => { host = await startTestHost({ plugins: { hello: { enabled: true } } }) })
  after(async () => { await host.stop() })
  afterEach(() => clock.reset())

  it('signs in with the right password and lands where it was going', async () => {
    const user = await host.createUser()
    const client = host.client()
    const start = await client.get('/hello')
    expect(start.status).to.equal(303)
    expect(start.location).to.equal('/login?next=%2Fhello')
    await client.get('/login?next=%2Fhello')
    const res = await client.post('/login', { email: user.email.toUpperCase(), password: user.password, next: '/hello' })
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/hello')
    expect((await client.get('/hello')).status).to.equal(200)
    const row = await host.db('users').where({ id: user.id }).first()
    expect(row.last_login_at).to.be.instanceOf(Date)
  })

  it('never redirects off-site after sign-in', async () => {
    const user = await host.createUser()
    const client = host.client()
    await client.get('/login')
    const res = await client.post('/login', { email: user.email, password: user.password, next: '//evil.example.com/' })
    expect(res.location).to.equal('/')
  })

  // What browsers make of these (tabs and newlines dropped, '\\' read as '/') is an
  // address on another host; each must come back as '/'.
  const offSite = [
    '/\t/evil.example/phish', '/\n/evil.example', '/\r\n/evil.example', '\t//evil.example',
    '\\evil.example', '/\\evil.example', '\\/evil.example', '//evil.example', '///evil.example',
    '/.//evil.example', '/%2F/evil.example/../..//evil.example', ' /evil.example',
    'https://evil.example/', 'javascript:alert(1)', '//evil.example@medianest/', '/\u2028/evil.example',
    'http:/evil.example', '\u0085//evil.example',
  ]

  it('refuses every off-site redirect target on the form path, whatever bytes hide it', async () => {
    const user = await host.createUser()
    for (const next of offSite) {
      const client = host.client()
      const page = await client.get(`/login?next=${encodeURIComponent(next)}`)
      expect(page.text, JSON.stringify(next)).to.include('name="next" value="/"')
      const res = await client.post('/login', { email: user.email, password: user.password, next })
      expect(res.status, JSON.stringify(next)).to.equal(303)
      expect(res.location, JSON.stringify(next)).to.equal('/')
      // Signed in already: GET /login sends the visitor on, through the same check.
      const again = await client.get(`/login?next=${encodeURIComponent(next)}`)
      expect(again.location, JSON.stringify(next)).to.equal('/')
    }
  })

  it('refuses them on the htmx path too (HX-Redirect), where the open redirect was found', async () => {
    const user = await host.createUser()
    for (const next of offSite) {
      const client = host.client()
      await client.get('/login')
      const res = await client.post('/login', { email: user.email, password: user.password, next }, { htmx: true })
      expect(res.status, JSON.stringify(next)).to.equal(204)
      expect(res.headers.get('HX-Redirect'), JSON.stringify(next)).to.equal('/')
    }
  })

  it('keeps a local target with its query and fragment, normalised', async () => {
    const user = await host.createUser()
    const client = host.client()
    await client.get('/login')
    const res = await client.post('/login', { email: user.email, password: user.password, next: '/hello/../hello?page=2&q=a%20b#top' }, { htmx: true })
    expect(res.headers.get('HX-Redirect')).to.equal('/hello?page=2&q=a%20b#top')
  })

  it('gives a wrong email and a wrong password the same answer, and the same work', async () => {
    const user = await host.createUser()
    const client = host.client()
    await client.get('/login')
    const wrongPassword = await client.post('/login', { email: user.email, password: 'not the password' })
    const wrongEmail = await client.post('/login', { email: 'nobody@example.com', password: 'not the password' })
    expect(wrongPassword.status).to.equal(401)
    expect(wrongEmail.status).to.equal(401)
    const message = (html: string) => /role="alert">([^<]*)</.exec(html)?.[1]
    expect(message(wrongEmail.text)).to.equal(message(wrongPassword.text)).and.equal('That email and password do not match an account.')
    // Both paths verify an Argon2id hash: an unknown email must not cost much less. Counted
    // in this process's CPU time (the server runs in it; Argon2's threads count too), not
    // in wall time, which a busy machine stretches at random.
    const work = async (email: string) => {
      const before = process.cpuUsage()
      await client.post('/login', { email, password: 'not the password' })
      const used = process.cpuUsage(before)
      return used.user + used.system
    }
    const known: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 7; i++) { known.push(await work(user.email)); unknown.push(await work(`nobody${i}@example.com`)) }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[3]
    expect(median(unknown) / median(known)).to.be.within(0.45, 2.2)
  })

  it('refuses a suspended account with its own message and no session', async () => {
    const user = await host.createUser({ status: 'suspended' })
    const client = host.client()
    await client.get('/login')
    const before = await count(host, 'sessions')
    const res = await client.post('/login', { email: user.email, password: user.password })
    expect(res.status).to.equal(403)
    expect(res.text).to.include('This account is suspended')
    expect(await count(host, 'sessions')).to.equal(before)
  })

  it('answers an empty or oversized form with 422 and a message, creating nothing', async () => {
    const client = host.client()
    await client.get('/login')
    const before = await count(host, 'sessions')
    const empty = await client.post('/login', { email: '', password: '' }, { htmx: true })
    expect(empty.status).to.equal(422)
    expect(empty.text).to.include('Enter your email.').and.not.include('<html')
    const huge = await client.post('/login', { email: 'a@b.c', password: 'x'.repeat(300) })
    expect(huge.status).to.equal(422)
    expect(huge.text).to.include('That password is too long.')
    expect(await count(host, 'sessions')).to.equal(before)
  })

  it('signs out: the session row is gone and the old cookie is dead', async () => {
    const { client } = await host.signedIn()
    const cookie = client.cookie('mn_session')!
    const res = await client.post('/logout')
    expect(res.status).to.equal(303)
    expect(await host.db('sessions').where({ session_token: hashToken(cookie) }).first()).to.equal(undefined)
    const replay = host.client()
    replay.setCookie('mn_session', cookie)
    expect((await replay.get('/')).status).to.equal(303)
  })
})

describe('sign-in: CSRF', function () {
  this.timeout(60_000)
  let host: TestHost
  before(async () => { host = await startTestHost({ plugins: { hello: { enabled: true } } }) })
  after(async () => { await host.stop() })

  const jobs = async () => Number((await host.db('jobs').where({ name: 'hello.greet' }).count('* as n').first())!.n)

  it('refuses a state change without the token, and changes nothing', async () => {
    const { client } = await host.signedIn()
    const before = await jobs()
    const res = await client.post('/hello', { message: 'hi' }, { noCsrf: true })
    expect(res.status).to.equal(403)
    expect(res.text).to.include('The form has expired or did not come from this site.')
    expect(await jobs()).to.equal(before)
  })

  it('refuses a wrong token, and a token from another session', async () => {
    const { client } = await host.signedIn()
    const { client: other } = await host.signedIn()
    const before = await jobs()
    expect((await client.post('/hello', { message: 'hi' }, { noCsrf: true, headers: { 'X-CSRF-Token': 'forged' } })).status).to.equal(403)
    expect((await client.post('/hello', { message: 'hi' }, { noCsrf: true, headers: { 'X-CSRF-Token': other.csrfToken! } })).status).to.equal(403)
    expect(await jobs()).to.equal(before)
  })

  it('refuses a cross-site request even with a valid token (Sec-Fetch-Site, Origin)', async () => {
    const { client } = await host.signedIn()
    const before = await jobs()
    expect((await client.post('/hello', { message: 'hi' }, { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status).to.equal(403)
    expect((await client.post('/hello', { message: 'hi' }, { headers: { Origin: 'https://evil.example.com' } })).status).to.equal(403)
    expect(await jobs()).to.equal(before)
    const logout = await client.post('/logout', {}, { headers: { 'Sec-Fetch-Site': 'cross-site' } })
    expect(logout.status).to.equal(403)
    expect((await client.get('/')).status).to.equal(200)
  })

  it('accepts the same request from the page itself (header, as htmx sends it)', async () => {
    const { client } = await host.signedIn()
    const before = await jobs()
    const res = await client.post('/hello', { message: 'hi' }, { htmx: true, headers: { 'Sec-Fetch-Site': 'same-origin' } })
    expect(res.status).to.equal(202)
    expect(await jobs()).to.equal(before + 1)
  })

  it('protects the sign-in form too (no login CSRF)', async () => {
    const user = await host.createUser()
    const res = await host.client().post('/login', { email: user.email, password: user.password }, { noCsrf: true })
    expect(res.status).to.equal(403)
  })
})

describe('first admin', function () {
  this.timeout(60_000)
  let host: TestHost | undefined
  afterEach(async () => { await host?.stop(); host = undefined; clock.reset() })

  it('is created through /setup with the one-time code, once', async () => {
    host = await startTestHost()
    const code = await issueCode(host.db, 'setup', 3600_000, 'ABCD-EFGH-JKLM-NPQR')
    const client = host.client()
    // A fresh install's home page is the setup form, not a sign-in nobody can use yet.
    const home = await client.get('/')
    expect([home.status, home.location]).to.deep.equal([303, '/setup'])
    expect((await client.get('/setup')).status).to.equal(200)
    const wrong = await client.post('/setup', { code: 'WRONG-CODE', email: 'owner@example.com', password: 'a long enough password' })
    expect(wrong.status).to.equal(401)
    expect(await count(host, 'users')).to.equal(0)
    const short = await client.post('/setup', { code, email: 'owner@example.com', password: 'short' })
    expect(short.status).to.equal(422)
    expect(short.text).to.include('Use at least 12 characters.')
    expect(await count(host, 'users')).to.equal(0)
    const ok = await client.post('/setup', { code: code.toLowerCase(), email: 'Owner@Example.com', password: 'a long enough password' })
    expect([ok.status, ok.location]).to.deep.equal([303, '/admin/guide'])
    const admin = await host.db('users').first()
    expect(admin).to.include({ email: 'owner@example.com', role: 'ADMIN', requires_password_change: false })
    expect(admin.password_hash).to.match(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/)
    expect((await client.get('/')).status).to.equal(200)
    // The code is spent and /setup is gone once an admin exists.
    expect(await count(host, 'verification_tokens')).to.equal(0)
    expect((await host.client().get('/setup')).status).to.equal(404)
    expect((await host.client().post('/setup', { code, email: 'x@example.com', password: 'a long enough password' })).status).to.equal(404)
    expect(await count(host, 'users')).to.equal(1)
    const signedOut = await host.client().get('/')
    expect([signedOut.status, signedOut.location]).to.deep.equal([303, '/login?next=%2F'])
  })

  it('refuses a guessable first-admin password at /setup, or one built from the email or name, saying why', async () => {
    host = await startTestHost()
    const code = await issueCode(host.db, 'setup', 3600_000, 'ABCD-EFGH-JKLM-NPQT')
    const client = host.client()
    await client.get('/setup')
    const cases: Array<[string, string]> = [
      ['Password123!', 'Too easy to guess for an admin account. This is similar to a commonly used password.'],
      ['homeowner2024', 'Your password contains your email address (the part before the @)'],
      ['Grace Hopper2024!', 'Your password is mostly your name'],
    ]
    for (const [password, message] of cases) {
      const res = await client.post('/setup', { code, email: 'homeowner@example.com', name: 'Grace Hopper', password })
      expect(res.status, password).to.equal(422)
      expect(res.text, password).to.include(message)
    }
    expect(await count(host, 'users')).to.equal(0)
    expect((await client.post('/setup', { code, email: 'homeowner@example.com', name: 'Grace Hopper', password: 'lantern oxbow quartz mellow' })).status).to.equal(303)
  })

  it('refuses an expired setup code', async () => {
    host = await startTestHost()
    const code = await issueCode(host.db, 'setup', 3600_000, 'ABCD-EFGH-JKLM-NPQS')
    clock.advance(2 * 3600_000)
    const res = await host.client().post('/setup', { code, email: 'owner@example.com', password: 'a long enough password' })
    expect(res.status).to.equal(401)
    expect(await count(host, 'users')).to.equal(0)
  })

  it('prints a setup code at start when no admin exists', async () => {
    host = await startTestHost()
    const row = await host.db('verification_tokens').where({ identifier: 'setup' }).first()
    expect(row.token).to.match(/^[0-9a-f]{64}$/)
  })

  it('comes from MEDIANEST_ADMIN_EMAIL/PASSWORD and must change the password first', async () => {
    host = await startTestHost({ config: { bootstrapAdmin: { email: 'Boot@Example.com', password: 'bootstrap password 1' } } })
    const admin = await host.db('users').where({ email: 'boot@example.com' }).first()
    expect(admin).to.include({ role: 'ADMIN', requires_password_change: true })
    expect(await count(host, 'verification_tokens')).to.equal(0)
    const client = host.client()
    await client.get('/login')
    const res = await client.post('/login', { email: 'boot@example.com', password: 'bootstrap password 1' })
    expect(res.location).to.equal('/account/password')
    const gated = await client.get('/')
    expect(gated.status).to.equal(303)
    expect(gated.location).to.equal('/account/password')
    // The environment's password is known to whoever reads the environment: it cannot be kept.
    await client.get('/account/password')
    const same = await client.post('/account/password', { current: 'bootstrap password 1', password: 'bootstrap password 1', confirm: 'bootstrap password 1' })
    expect(same.status).to.equal(422)
    expect((await host.db('users').where({ email: 'boot@example.com' }).first()).requires_password_change).to.equal(true)
  })

  it('does not start with a guessable MEDIANEST_ADMIN_PASSWORD, and says why', async () => {
    let failure: unknown
    try {
      host = await startTestHost({ config: { bootstrapAdmin: { email: 'boot@example.com', password: 'aaaaaaaaaaaa' } } })
    } catch (error) {
      failure = error
    }
    expect(String(failure)).to.include('MEDIANEST_ADMIN_PASSWORD is not acceptable: Too easy to guess. Repeated characters')
  })
})

describe('rate limits', function () {
  this.timeout(60_000)
  let host: TestHost | undefined
  afterEach(async () => { await host?.stop(); host = undefined; clock.reset() })

  it('answers 429 with Retry-After after N sign-in attempts, and lets them through after the window', async () => {
    host = await startTestHost({ config: { rateLimits: { login: { limit: 3, window: '1m' } } } })
    startOfRateWindow(60_000)
    const client = host.client()
    await client.get('/login')
    for (let i = 0; i < 3; i++) expect((await client.post('/login', { email: `x${i}@example.com`, password: 'wrong password' })).status).to.equal(401)
    const limited = await client.post('/login', { email: 'x9@example.com', password: 'wrong password' })
    expect(limited.status).to.equal(429)
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60)
    expect(limited.text).to.include('Too many failed sign-in attempts from your address')
    clock.advance(61_000)
    expect((await client.post('/login', { email: 'x10@example.com', password: 'wrong password' })).status).to.equal(401)
  })

  const from = (ip: string) => ({ headers: { 'X-Forwarded-For': ip } })

  it('stops ten wrong passwords from one address for that account, and the owner still signs in from another', async () => {
    // The shipped defaults for the account limits; the per-address limit too.
    host = await startTestHost({ config: { rateLimits: { login: { limit: 10, window: '15m' } }, trustProxy: 1 } })
    const owner = await host.createUser()
    const attacker = host.client()
    await attacker.get('/login')
    for (let i = 0; i < 10; i++) {
      expect((await attacker.post('/login', { email: owner.email, password: `guess ${i}` }, from('203.0.113.7'))).status).to.equal(401)
    }
    const refused = await attacker.post('/login', { email: owner.email, password: owner.password }, from('203.0.113.7'))
    expect(refused.status).to.equal(429)
    expect(refused.text).to.include('Too many failed sign-in attempts')

    const ownerClient = host.client()
    await ownerClient.get('/login')
    const res = await ownerClient.post('/login', { email: owner.email, password: owner.password }, from('198.51.100.20'))
    expect(res.status).to.equal(303)
    expect((await ownerClient.get('/')).status).to.equal(200)
  })

  it('limits one account from one address tightly, without stopping that address for other accounts', async () => {
    host = await startTestHost({
      config: { rateLimits: { login: { limit: 100, window: '15m' }, loginAccountAddress: { limit: 3, window: '15m' } }, trustProxy: 1 },
    })
    const owner = await host.createUser()
    const other = await host.createUser()
    const client = host.client()
    await client.get('/login')
    for (let i = 0; i < 3; i++) expect((await client.post('/login', { email: owner.email, password: 'wrong password' }, from('10.0.0.1'))).status).to.equal(401)
    const refused = await client.post('/login', { email: owner.email, password: owner.password }, from('10.0.0.1'))
    expect(refused.status).to.equal(429)
    expect(refused.text).to.include('Too many failed sign-in attempts for this account from your address')
    // The same account differently spelled is the same account.
    expect((await client.post('/login', { email: owner.email.toUpperCase(), password: owner.password }, from('10.0.0.1'))).status).to.equal(429)
    expect((await client.post('/login', { email: other.email, password: other.password }, from('10.0.0.1'))).status).to.equal(303)
    // IPv6: one /56 is one address, so hopping within it does not reset the count.
    for (let i = 0; i < 3; i++) expect((await host.client().post('/login', { email: other.email, password: 'wrong password' }, from(`2001:db8:0:10${i}::1`))).status).to.equal(401)
    expect((await host.client().post('/login', { email: other.email, password: other.password }, from('2001:db8:0:1ff::1'))).status).to.equal(429)
    expect((await host.client().post('/login', { email: owner.email, password: owner.password }, from('10.0.0.2'))).status).to.equal(303)
  })

  it('does not count successful sign-ins toward any sign-in limit', async () => {
    host = await startTestHost({
      config: { rateLimits: { login: { limit: 2, window: '15m' }, loginAccountAddress: { limit: 2, window: '15m' }, loginAccount: { limit: 2, window: '15m' } }, trustProxy: 1 },
    })
    const owner = await host.createUser()
    for (let i = 0; i < 6; i++) {
      const device = host.client()
      await device.get('/login')
      expect((await device.post('/login', { email: owner.email, password: owner.password }, from('10.0.0.1'))).status).to.equal(303)
    }
    const client = host.client()
    await client.get('/login')
    // Every limit still has its two failures left.
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await client.post('/login', { email: owner.email, password: 'wrong password' }, from('10.0.0.1'))).status)
    expect(statuses).to.deep.equal([401, 401, 429])
    const rows = await host.db('rate_limits').whereIn('endpoint', ['login:ip', 'login:account-ip', 'login:account']).orderBy('endpoint')
    // The refused third attempt stopped at the first limit, the per-address one.
    expect(rows.map((r) => [r.endpoint, Number(r.request_count)])).to.deep.equal([['login:account', 2], ['login:account-ip', 2], ['login:ip', 3]])
  })

  it('caps failures per account across all addresses, loosely', async () => {
    host = await startTestHost({
      config: { rateLimits: { login: { limit: 100, window: '15m' }, loginAccountAddress: { limit: 2, window: '15m' }, loginAccount: { limit: 4, window: '15m' } }, trustProxy: 1 },
    })
    const owner = await host.createUser()
    const client = host.client()
    await client.get('/login')
    for (const ip of ['10.0.0.1', '10.0.0.2']) {
      for (let i = 0; i < 2; i++) expect((await client.post('/login', { email: owner.email, password: 'wrong password' }, from(ip))).status).to.equal(401)
    }
    const res = await client.post('/login', { email: owner.email, password: owner.password }, from('10.0.0.3'))
    expect(res.status).to.equal(429)
    expect(res.text).to.include('Too many failed sign-in attempts for this account.')
  })

  it('limits every signed-in user per minute', async () => {
    host = await startTestHost({ config: { rateLimits: { login: { limit: 100, window: '1m' }, authenticated: { limit: 5, window: '1m' } } } })
    startOfRateWindow(60_000)
    const { client } = await host.signedIn() // sign-in itself used 1 (GET / after login)
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await client.get('/')).status)
    expect(statuses.slice(0, 4)).to.deep.equal([200, 200, 200, 200])
    expect(statuses.at(-1)).to.equal(429)
  })

  it('applies a plugin\'s own limits to its routes (hello: greetings per hour)', async () => {
    host = await startTestHost({ plugins: { hello: { enabled: true, config: { greetingsPerHour: 2 } } } })
    const { client } = await host.signedIn()
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await client.post('/hello', { message: `hi ${i}` })).status)
    expect(statuses).to.deep.equal([303, 303, 429])
    expect(await host.db('jobs').where({ name: 'hello.greet' }).count('* as n').first().then((r) => Number(r!.n))).to.equal(2)
    expect((await client.get('/hello')).status).to.equal(200)
  })

  it('counts correctly under concurrent requests to two app instances sharing PostgreSQL', async function () {
    if (!onPostgres) this.skip()
    const database = await freshDatabase()
    const limits = { rateLimits: { login: { limit: 7, window: '15m' } } }
    const a = await startTestHost({ database, config: limits })
    const b = await startTestHost({ database, config: limits })
    try {
      const clients = [a.client(), b.client()]
      await Promise.all(clients.map((c) => c.get('/login')))
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        clients[i % 2].post('/login', { email: `c${i}@example.com`, password: 'wrong password' })))
      const statuses = results.map((r) => r.status)
      expect(statuses.filter((s) => s === 401)).to.have.length(7)
      expect(statuses.filter((s) => s === 429)).to.have.length(13)
      const row = await a.db('rate_limits').where({ endpoint: 'login:ip' }).first()
      expect(row.request_count).to.equal(20)
    } finally {
      await a.stop()
      await b.stop()
      await database.drop()
    }
  })
})
