import { expect } from 'chai'
import { clock } from '../../core/clock.ts'
import { createSession } from '../../core/auth/sessions.ts'
import { verifyPassword } from '../../core/auth/passwords.ts'
import { TestClient } from '../support/http-client.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const NEW_PASSWORD = 'a brand new long passphrase'

/** Moves the fake clock just past a window boundary, so a fixed-window limit cannot roll over mid-test. */
function startOfAFreshWindow(windowMs: number) {
  const now = clock.now().getTime()
  clock.advance(windowMs - (now % windowMs) + 1000)
}

describe('account: changing the password', function () {
  let host: TestHost

  before(async () => {
    host = await startTestHost()
  })
  afterEach(() => clock.reset())
  after(async () => {
    await host?.stop()
  })

  const hashOf = async (id: string) => (await host.db('users').where({ id }).first()).password_hash as string | null
  const signInWorks = async (email: string, password: string) => {
    const client = host.client()
    await client.get('/login')
    return (await client.post('/login', { email, password })).status === 303
  }

  it('refuses a wrong current password with 422 and keeps the old hash', async () => {
    const { client, user } = await host.signedIn()
    const before = await hashOf(user.id)
    await client.get('/account/password')
    const res = await client.post('/account/password', { current: 'not my password', password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(res.status).to.equal(422)
    expect(res.text).to.include('That is not your current password.')
    expect(await hashOf(user.id)).to.equal(before)
  })

  it('refuses a missing current password', async () => {
    const { client, user } = await host.signedIn()
    const before = await hashOf(user.id)
    await client.get('/account/password')
    const res = await client.post('/account/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(res.status).to.equal(422)
    expect(res.text).to.include('Enter your current password.')
    expect(await hashOf(user.id)).to.equal(before)
  })

  it('refuses a new password that is too short, too common, or not confirmed', async () => {
    const { client, user } = await host.signedIn()
    const before = await hashOf(user.id)
    await client.get('/account/password')
    const cases: Array<[string, string, string]> = [
      ['short', 'short', 'Use at least 8 characters.'],
      ['password', 'password', 'Too easy to guess. This is a heavily used password.'],
      [NEW_PASSWORD, NEW_PASSWORD + '!', 'The two new passwords do not match.'],
      ['x'.repeat(257), 'x'.repeat(257), 'Use at most 256 characters.'],
    ]
    for (const [password, confirm, message] of cases) {
      const res = await client.post('/account/password', { current: user.password, password, confirm })
      expect(res.status, message).to.equal(422)
      expect(res.text).to.include(message)
      expect(await hashOf(user.id)).to.equal(before)
    }
  })

  it('asks admins for at least 12 characters', async () => {
    const { client, user } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    await client.get('/account/password')
    const res = await client.post('/account/password', { current: user.password, password: 'elevenchars', confirm: 'elevenchars' })
    expect(res.status).to.equal(422)
    expect(res.text).to.include('Use at least 12 characters.')
  })

  it('refuses an admin a guessable password, or one built from their email or name, saying why', async () => {
    const { client, user } = await host.signedIn(await host.createUser({ role: 'ADMIN', name: 'Ada Lovelace' }))
    const before = await hashOf(user.id)
    await client.get('/account/password')
    const local = user.email.split('@')[0]
    const cases: Array<[string, string]> = [
      ['aaaaaaaaaaaa', 'Too easy to guess for an admin account. Repeated characters like &quot;aaa&quot; are easy to guess.'],
      ['123456789012', 'Too easy to guess for an admin account. This is a commonly used password.'],
      ['Password123!', 'Too easy to guess for an admin account. This is similar to a commonly used password.'],
      ['Welcome12345', 'Too easy to guess for an admin account. This is similar to a commonly used password.'],
      [user.email, 'Your password contains your email address (the part before the @)'],
      [`${local}2024`, 'Your password contains your email address (the part before the @)'],
      ['Ada Lovelace2024!', 'Your password is mostly your name, which others can find out.'],
    ]
    for (const [password, message] of cases) {
      const res = await client.post('/account/password', { current: user.password, password, confirm: password }, { htmx: true })
      expect(res.status, password).to.equal(422)
      expect(res.text, password).to.include(`id="account-password-error">${message}`)
      expect(await hashOf(user.id)).to.equal(before)
    }
    const strong = 'lantern oxbow quartz mellow'
    const ok = await client.post('/account/password', { current: user.password, password: strong, confirm: strong })
    expect(ok.status).to.equal(303)
    expect(await verifyPassword((await hashOf(user.id))!, strong)).to.equal(true)
  })

  it('changes the password, keeps this session and signs out every other one', async () => {
    const { client, user } = await host.signedIn()
    const { client: other } = await host.signedIn(user)
    await client.get('/account/password')
    const res = await client.post('/account/password', { current: user.password, password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/account/password?changed=1&signedOut=1')

    const page = await client.get(res.location!)
    expect(page.status).to.equal(200)
    expect(page.text).to.include('Your password was changed.')
    expect(page.text).to.include('Your 1 other session was signed out.')

    const otherRes = await other.get('/')
    expect(otherRes.status).to.equal(303)
    expect(otherRes.location).to.match(/^\/login/)
    expect(await host.db('sessions').where({ user_id: user.id })).to.have.length(1)

    expect(await verifyPassword((await hashOf(user.id))!, NEW_PASSWORD)).to.equal(true)
    expect(await signInWorks(user.email, NEW_PASSWORD)).to.equal(true)
    expect(await signInWorks(user.email, user.password)).to.equal(false)
  })

  it('answers htmx with the form fragment: 422 with the field message, 200 when changed', async () => {
    const { client, user } = await host.signedIn()
    await client.get('/account/password')
    const bad = await client.post('/account/password', { current: user.password, password: 'short', confirm: 'short' }, { htmx: true })
    expect(bad.status).to.equal(422)
    expect(bad.text).to.match(/^<form id="account-password-form"/)
    expect(bad.text).to.include('<span class="field-error" id="account-password-error">Use at least 8 characters.</span>')

    const ok = await client.post('/account/password', { current: user.password, password: NEW_PASSWORD, confirm: NEW_PASSWORD }, { htmx: true })
    expect(ok.status).to.equal(200)
    expect(ok.text).to.match(/^<form id="account-password-form"/)
    expect(ok.text).to.include('Your password was changed.')
  })

  it('lets an account without a password (Plex sign-in) set one without a current password', async () => {
    const user = await host.createUser({ password_hash: null })
    const { token } = await createSession(host.db, user.id, { idleMs: 3600_000, absoluteMs: 7200_000 }, {})
    const client = new TestClient(host.url)
    client.setCookie('mn_session', token)
    const page = await client.get('/account/password')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('Set a password')
    expect(page.text).not.to.include('name="current"')
    const res = await client.post('/account/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(res.status).to.equal(303)
    expect(await signInWorks(user.email, NEW_PASSWORD)).to.equal(true)
  })

  it('limits password change attempts per user before hashing', async () => {
    const { client, user } = await host.signedIn()
    await client.get('/account/password')
    startOfAFreshWindow(15 * 60_000)
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) {
      statuses.push((await client.post('/account/password', { current: `guess ${i}`, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status)
    }
    expect(statuses.slice(0, 10).every((s) => s === 422)).to.equal(true)
    expect(statuses[10]).to.equal(429)
    expect(await verifyPassword((await hashOf(user.id))!, user.password)).to.equal(true)
  })
})

describe('account: the forced password change', function () {
  let host: TestHost

  before(async () => {
    host = await startTestHost()
  })
  after(async () => {
    await host?.stop()
  })

  it('holds the user on the password page until they choose a new one, then lets them go', async () => {
    const user = await host.createUser({ requires_password_change: true })
    const client = host.client()
    await client.get('/login')
    const login = await client.post('/login', { email: user.email, password: user.password })
    expect(login.status).to.equal(303)
    expect(login.location).to.equal('/account/password')

    const home = await client.get('/')
    expect(home.status).to.equal(303)
    expect(home.location).to.equal('/account/password')

    const page = await client.get('/account/password')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('An admin asked you to choose a new password')

    for (const path of ['/account', '/account/tokens', '/account/sessions/revoke-others']) {
      const res = await client.post(path, { name: 'x', lifetime: '30', image: '' })
      expect(res.status, path).to.equal(403)
    }
    expect(await host.db('session_tokens').where({ user_id: user.id })).to.have.length(0)

    const change = await client.post('/account/password', { current: user.password, password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(change.status).to.equal(303)
    const row = await host.db('users').where({ id: user.id }).first()
    expect(row.requires_password_change).to.equal(false)

    const after = await client.get(change.location!)
    expect(after.text).not.to.include('An admin asked you to choose a new password')
    expect((await client.get('/')).status).to.equal(200)
    expect((await client.get('/account')).status).to.equal(200)
  })

  it('refuses the temporary password itself as the new one, and keeps the change forced', async () => {
    const user = await host.createUser({ requires_password_change: true, password: 'temporary password 4821' })
    const client = host.client()
    await client.get('/login')
    await client.post('/login', { email: user.email, password: user.password })
    const before = (await host.db('users').where({ id: user.id }).first()).password_hash
    await client.get('/account/password')
    const same = await client.post('/account/password', { current: user.password, password: user.password, confirm: user.password })
    expect(same.status).to.equal(422)
    expect(same.text).to.include('Choose a password different from your current one.')
    const row = await host.db('users').where({ id: user.id }).first()
    expect(row.requires_password_change).to.equal(true)
    expect(row.password_hash).to.equal(before)
    expect((await client.get('/')).location).to.equal('/account/password')
  })
})
