import { expect } from 'chai'
import { clock } from '../../core/clock.ts'
import { issuePasswordReset } from '../../core/auth/password-reset.ts'
import { verifyPassword } from '../../core/auth/passwords.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const NEW_PASSWORD = 'reset to a long new phrase'

describe('password reset links', function () {
  let host: TestHost

  before(async () => {
    host = await startTestHost()
  })
  afterEach(() => clock.reset())
  after(async () => {
    await host?.stop()
  })

  const userRow = (id: string) => host.db('users').where({ id }).first()
  const signInWorks = async (email: string, password: string) => {
    const client = host.client()
    await client.get('/login')
    return (await client.post('/login', { email, password })).status === 303
  }

  it('works once: sets the password, clears a forced change, ends every session, sends to sign-in', async () => {
    const { client: signedIn, user } = await host.signedIn(await host.createUser())
    await host.signedIn(user)
    await host.db('users').where({ id: user.id }).update({ requires_password_change: true })
    const link = await issuePasswordReset(host.db, user.id)

    const visitor = host.client()
    const form = await visitor.get(link)
    expect(form.status).to.equal(200)
    expect(form.headers.get('cache-control')).to.include('no-store')
    expect(form.text).to.include('Choose a new password')
    expect(form.text).to.include(user.email)
    expect(form.text).to.include('name="_csrf"')

    const res = await visitor.post(link, { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/login?reset=done')

    const row = await userRow(user.id)
    expect(await verifyPassword(row.password_hash, NEW_PASSWORD)).to.equal(true)
    expect(row.requires_password_change).to.equal(false)
    expect(await host.db('sessions').where({ user_id: user.id })).to.have.length(0)
    expect((await signedIn.get('/')).status).to.equal(303)

    expect(await signInWorks(user.email, NEW_PASSWORD)).to.equal(true)
    expect(await signInWorks(user.email, user.password)).to.equal(false)

    const reused = await visitor.get(link)
    expect(reused.status).to.equal(410)
    expect(reused.text).to.include('expired or was already used')
    const again = await visitor.post(link, { password: 'yet another long phrase', confirm: 'yet another long phrase' })
    expect(again.status).to.equal(410)
    expect(await verifyPassword((await userRow(user.id)).password_hash, NEW_PASSWORD)).to.equal(true)
  })

  it('expires after one hour', async () => {
    const user = await host.createUser()
    const link = await issuePasswordReset(host.db, user.id)
    clock.advance(59 * 60_000)
    const visitor = host.client()
    expect((await visitor.get(link)).status).to.equal(200)
    clock.advance(2 * 60_000)
    const page = await visitor.get(link)
    expect(page.status).to.equal(410)
    expect(page.text).to.include('expired or was already used')
    const res = await visitor.post(link, { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    expect(res.status).to.equal(410)
    expect(await verifyPassword((await userRow(user.id)).password_hash, user.password)).to.equal(true)
  })

  it('stops an older link from working once a newer one is issued', async () => {
    const user = await host.createUser()
    const first = await issuePasswordReset(host.db, user.id)
    const second = await issuePasswordReset(host.db, user.id)
    const visitor = host.client()
    expect((await visitor.get(first)).status).to.equal(410)
    expect((await visitor.get(second)).status).to.equal(200)
  })

  it('refuses a weak or unconfirmed password with 422 and keeps the link usable', async () => {
    const user = await host.createUser({ role: 'ADMIN' })
    const link = await issuePasswordReset(host.db, user.id)
    const visitor = host.client()
    await visitor.get(link)

    const short = await visitor.post(link, { password: 'only11chars', confirm: 'only11chars' })
    expect(short.status).to.equal(422)
    expect(short.text).to.include('Use at least 12 characters.')

    const common = await visitor.post(link, { password: 'password1234', confirm: 'password1234' })
    expect(common.status).to.equal(422)
    expect(common.text).to.include('Too easy to guess for an admin account.')

    const mismatch = await visitor.post(link, { password: NEW_PASSWORD, confirm: `${NEW_PASSWORD}.` }, { htmx: true })
    expect(mismatch.status).to.equal(422)
    expect(mismatch.text).to.match(/^<form id="reset-form"/)
    expect(mismatch.text).to.include('The two passwords do not match.')

    expect(await verifyPassword((await userRow(user.id)).password_hash, user.password)).to.equal(true)
    expect((await visitor.get(link)).status).to.equal(200)
    expect((await visitor.post(link, { password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).to.equal(303)
  })

  it('answers an unknown or malformed token with the expired page, never a 500', async () => {
    const visitor = host.client()
    for (const token of ['x', 'A'.repeat(43), '..%2F..%2Fetc', 'a'.repeat(300)]) {
      const res = await visitor.get(`/reset/${token}`)
      expect(res.status, token).to.equal(410)
    }
  })

  it('refuses a reset without the CSRF token', async () => {
    const user = await host.createUser()
    const link = await issuePasswordReset(host.db, user.id)
    const res = await host.client().post(link, { password: NEW_PASSWORD, confirm: NEW_PASSWORD }, { noCsrf: true })
    expect(res.status).to.equal(403)
    expect(await verifyPassword((await userRow(user.id)).password_hash, user.password)).to.equal(true)
  })

  it('answers htmx with a redirect to the sign-in page', async () => {
    const user = await host.createUser()
    const link = await issuePasswordReset(host.db, user.id)
    const visitor = host.client()
    await visitor.get(link)
    const res = await visitor.post(link, { password: NEW_PASSWORD, confirm: NEW_PASSWORD }, { htmx: true })
    expect(res.status).to.equal(204)
    expect(res.headers.get('hx-redirect')).to.equal('/login?reset=done')
  })
})

describe('password reset links: rate limit', function () {
  let host: TestHost

  before(async () => {
    host = await startTestHost({ config: { rateLimits: { login: { limit: 3, window: '15m' } } } })
  })
  afterEach(() => clock.reset())
  after(async () => {
    await host?.stop()
  })

  it('limits reset attempts per IP', async () => {
    const user = await host.createUser()
    const link = await issuePasswordReset(host.db, user.id)
    const visitor = host.client()
    await visitor.get(link)
    // Just past a window boundary, so the fixed 15-minute window cannot roll over mid-test.
    clock.advance(15 * 60_000 - (clock.now().getTime() % (15 * 60_000)) + 1000)
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await visitor.post(link, { password: 'short', confirm: 'short' })).status)
    expect(statuses).to.deep.equal([422, 422, 422, 429])
  })
})
