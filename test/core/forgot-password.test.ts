// Self-service password reset by email (issue 34, part 2): with mail and publicUrl
// configured, a person asks for a link at /forgot-password and gets the admin's kind of
// link (/reset/<token>, one hour, once) in a mail. The request answers the same and does
// the same work whether or not the address has an account (the lookup is in a job); the
// asks are limited per client address and the mails per recipient, and a refused mail
// leaves the link already sent working. Without mail the page says to ask an admin.
import { expect } from 'chai'
import { clock } from '../../core/clock.ts'
import { verifyPassword } from '../../core/auth/passwords.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { mailSettings, startFakeSmtp, type FakeSmtp } from '../support/fake-smtp.ts'
import { waitFor } from '../support/wait-for.ts'

const NEW_PASSWORD = 'a brand new long passphrase'

describe('password reset by email', function () {
  this.timeout(120_000)
  let smtp: FakeSmtp
  let host: TestHost

  before(async () => {
    smtp = await startFakeSmtp()
    host = await startTestHost({
      config: {
        publicUrl: 'https://media.example.com',
        mail: mailSettings(smtp, { perRecipientPerHour: 2 }),
        rateLimits: { login: { limit: 8, window: '15m' } },
      },
    })
  })
  after(async () => {
    await host?.stop()
    await smtp?.close()
  })
  beforeEach(async () => {
    await jobsDone()
    smtp.received.length = 0
    await host.db('mail_outbox').del()
    await host.db('rate_limits').del().catch(() => undefined)
  })
  afterEach(() => clock.reset())

  function jobsDone() {
    return waitFor('the reset mail jobs to finish', async () => {
    const open = await host.db('jobs').whereIn('name', ['core.password-reset-mail', 'core.mail']).whereIn('status', ['queued', 'running'])
    return open.length === 0
  }, 30_000)
  }
  const ask = async (email: string) => {
    const visitor = host.client()
    await visitor.get('/forgot-password')
    return visitor.post('/forgot-password', { email })
  }
  const linkIn = (raw: string) => {
    const flat = raw.replace(/=\r?\n/g, '')
    const m = /https:\/\/media\.example\.com(\/reset\/[A-Za-z0-9_-]+)/.exec(flat)
    if (!m) throw new Error(`no reset link in the mail:\n${flat.slice(0, 2000)}`)
    return m[1]
  }
  const counts = async () => ({
    jobs: Number((await host.db('jobs').count({ n: '*' }).first())!.n),
    tokens: Number((await host.db('verification_tokens').count({ n: '*' }).first())!.n),
    outbox: Number((await host.db('mail_outbox').count({ n: '*' }).first())!.n),
  })

  it('the sign-in page links to it, and the mailed link sets a new password once', async () => {
    const user = await host.createUser()
    const login = await host.client().get('/login')
    expect(login.text).to.include('<a href="/forgot-password">Forgot your password?</a>')
    const res = await ask(user.email.toUpperCase())
    expect([res.status, res.location]).to.deep.equal([303, '/forgot-password/sent'])
    await jobsDone()
    expect(smtp.received).to.have.length(1)
    expect(smtp.received[0].to).to.deep.equal([user.email])
    expect(smtp.received[0].raw).to.include('Subject: Reset your MediaNest password')
    const link = linkIn(smtp.received[0].raw)

    const visitor = host.client()
    expect((await visitor.get(link)).text).to.include(user.email)
    expect((await visitor.post(link, { password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).to.equal(303)
    expect(await verifyPassword((await host.db('users').where({ id: user.id }).first()).password_hash, NEW_PASSWORD)).to.equal(true)
    const used = await visitor.get(link)
    expect(used.status).to.equal(410)
    expect(used.text).to.include('<a href="/forgot-password">Ask for a new link</a>')
    // The mail's body is gone once sent: the link does not outlive its use in the database.
    expect((await host.db('mail_outbox').first()).message).to.equal(null)
  })

  it('answers an unknown address exactly as a known one, and the request does the same work', async () => {
    const user = await host.createUser()
    const resetJobs = async () => (await host.db('jobs').where({ name: 'core.password-reset-mail' }).select('payload')).length
    const before = await resetJobs()
    const known = await ask(user.email)
    const unknown = await ask('nobody-here@example.com')
    expect([unknown.status, unknown.location, unknown.text]).to.deep.equal([known.status, known.location, known.text])
    // Each request wrote one job, the same for both; looking the address up happens in it.
    expect(await resetJobs()).to.equal(before + 2)
    await jobsDone()
    expect(smtp.received.map((m) => m.to[0])).to.deep.equal([user.email])
    const sent = await host.client().get('/forgot-password/sent')
    expect(sent.text).to.include('If an account here uses that address')
  })

  it('mails no suspended account and no account without a password of its own', async () => {
    const suspended = await host.createUser({ status: 'suspended' } as never)
    const plexOnly = await host.createUser({ password_hash: null } as never)
    await ask(suspended.email)
    await ask(plexOnly.email)
    await jobsDone()
    expect(smtp.received).to.deep.equal([])
    expect(await host.db('verification_tokens').where('identifier', 'in', [`reset:${suspended.id}`, `reset:${plexOnly.id}`])).to.deep.equal([])
  })

  it('refuses a malformed address beside the field and queues nothing', async () => {
    const before = await counts()
    for (const email of ['', 'not-an-address', `${'x'.repeat(300)}@example.com`]) {
      const visitor = host.client()
      await visitor.get('/forgot-password')
      const res = await visitor.post('/forgot-password', { email }, { htmx: true })
      expect(res.status, email).to.equal(422)
      expect(res.text).to.include('id="forgot-email-error"').and.match(/name="email"[^>]*aria-invalid="true"[^>]*autofocus/)
    }
    expect(await counts()).to.deep.equal(before)
  })

  it('sends one address at most its hourly mails, and a refused mail leaves the last link working', async () => {
    const user = await host.createUser()
    for (let i = 0; i < 3; i++) {
      await ask(user.email)
      await jobsDone()
    }
    expect(smtp.received).to.have.length(2)
    const last = linkIn(smtp.received[1].raw)
    expect((await host.client().get(last)).status).to.equal(200)
  })

  it('limits the asks from one client address', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) statuses.push((await ask(`someone${i}@example.com`)).status)
    expect(statuses.slice(0, 8)).to.deep.equal(Array(8).fill(303))
    expect(statuses.slice(8)).to.deep.equal([429, 429])
  })

  it('a mailed link expires after an hour, and the page offers to ask again', async () => {
    const user = await host.createUser()
    await ask(user.email)
    await jobsDone()
    const link = linkIn(smtp.received[0].raw)
    clock.advance(61 * 60_000)
    const late = await host.client().get(link)
    expect(late.status).to.equal(410)
    expect(late.text).to.include('Ask for a new link')
  })

  it('without mail configured, says to ask an admin and sends nothing', async () => {
    const bare = await startTestHost({ config: { publicUrl: 'https://media.example.com' } })
    try {
      const visitor = bare.client()
      const page = await visitor.get('/forgot-password')
      expect(page.status).to.equal(200)
      expect(page.text).to.include('This server does not send mail').and.not.include('name="email"')
      const res = await visitor.post('/forgot-password', { email: 'someone@example.com' })
      expect(res.status).to.equal(409)
      expect(await bare.db('jobs').where({ name: 'core.password-reset-mail' })).to.deep.equal([])
    } finally {
      await bare.stop()
    }
  })
})
