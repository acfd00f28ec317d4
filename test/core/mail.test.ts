// Outgoing mail (issue 34, part 2: the core service): ctx.mail queues a durable job that
// speaks SMTP to a loopback server with STARTTLS and AUTH; the server's 4xx and a dropped
// connection are tried again, its 5xx fails at once in its words, never with the password;
// a recipient with a line break, a display name or a second address is refused and
// nothing is queued; one address gets at most mail.perRecipientPerHour; the subject is one
// line of at most 200 characters. `medianest mail test` sends one now.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import type { Mail } from '../../core/plugin-api.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { startFakeSmtp, type FakeSmtp } from '../support/fake-smtp.ts'
import { waitFor } from '../support/wait-for.ts'
import { runCli } from '../support/cli-run.ts'

const mailOf = (host: TestHost): Mail => host.app.host.plugins.find((p) => p.name === 'notifications')!.ctx!.mail

describe('mail: the core sends through the admin\'s SMTP server', function () {
  this.timeout(120_000)
  let smtp: FakeSmtp
  let host: TestHost
  let mail: Mail

  const settings = (extra: Record<string, unknown> = {}) => ({
    host: smtp.host, port: smtp.port, secure: false, user: smtp.user, password: smtp.password,
    from: 'MediaNest <media@example.com>', ca: smtp.caFile, perRecipientPerHour: 3, timeout: '5s', ...extra,
  })
  const outbox = () => host.db('mail_outbox').orderBy('created_at')
  const settled = (id: string) => waitFor(`mail ${id} to be sent or failed`, async () => {
    const row = await host.db('mail_outbox').where({ id }).first()
    return row && row.status !== 'queued' ? row : undefined
  }, 30_000)

  before(async () => {
    smtp = await startFakeSmtp()
    host = await startTestHost({ config: { mail: settings() }, plugins: { notifications: { enabled: true, config: {} } } })
    mail = mailOf(host)
  })
  after(async () => {
    await host?.stop()
    await smtp?.close()
  })
  beforeEach(async () => {
    smtp.received.length = 0
    await host.db('mail_outbox').del()
  })

  it('sends over STARTTLS with the login, text and HTML, the List-Unsubscribe header, and keeps no body once sent', async () => {
    expect(mail.configured).to.equal(true)
    const queued = await mail.send({ to: 'Bob@Example.com', subject: 'Your request\r\nBcc: evil@example.com is approved', text: 'Dune is in Plex.', html: '<p>Dune is in Plex.</p>', unsubscribeUrl: 'https://media.example.com/notifications/preferences' })
    expect(queued.queued).to.equal(true)
    const row = await settled((queued as { id: string }).id)
    expect(row).to.include({ status: 'sent', recipient: 'bob@example.com', message: null, last_error: null })
    expect(smtp.received).to.have.length(1)
    const got = smtp.received[0]
    expect(got).to.include({ from: 'media@example.com', user: smtp.user, secure: true })
    expect(got.to).to.deep.equal(['bob@example.com'])
    expect(got.raw).to.include('Subject: Your request Bcc: evil@example.com is approved')
    expect(got.raw).to.not.match(/^Bcc:/m)
    expect(got.raw).to.include('List-Unsubscribe: <https://media.example.com/notifications/preferences>')
    // Not one-click: the link's page asks first, so no bare POST may claim to stop the mail.
    expect(got.raw).to.not.include('List-Unsubscribe-Post')
    expect(got.raw).to.include('Dune is in Plex.').and.include('<p>Dune is in Plex.</p>')
  })

  it('refuses a recipient with a line break, a display name or a second address, and queues nothing', async () => {
    for (const to of ['bob@example.com\r\nBcc: eve@example.com', 'Eve <eve@example.com>', '"bob@example.com" <eve@example.com>', 'bob@example.com, eve@example.com', 'bob@example.com;eve@example.com', 'not an address', '']) {
      let thrown: unknown
      try { await mail.send({ to, subject: 'x', text: 'x' }) } catch (e) { thrown = e }
      expect(thrown, JSON.stringify(to)).to.be.instanceOf(RangeError)
    }
    expect(await outbox()).to.deep.equal([])
    expect(await host.db('jobs').where({ name: 'core.mail', status: 'queued' })).to.deep.equal([])
  })

  it('tells a plugin beforehand, in words, which addresses send() would refuse', () => {
    expect(mail.addressProblem('bob@example.com')).to.equal(null)
    expect(mail.addressProblem('bob@example.com\r\nBcc: eve@example.com')).to.equal('An address has no line breaks.')
    expect(mail.addressProblem('Eve <eve@example.com>')).to.equal('Give one plain address (name@example.com), without a name or a second address.')
    expect(mail.addressProblem('nobody')).to.equal('"nobody" is not an email address.')
  })

  it('cuts a 500-character subject to 200', async () => {
    const queued = await mail.send({ to: 'carol@example.com', subject: 'S'.repeat(500), text: 'long' })
    const row = await settled((queued as { id: string }).id)
    expect(row.subject).to.have.length(200)
    expect(row.subject.endsWith('…')).to.equal(true)
  })

  it('tries a 4xx and a dropped connection again, and fails a 5xx at once in the server\'s words', async () => {
    smtp.trouble('temporary')
    const busy = await settled(((await mail.send({ to: 'dan@example.com', subject: 'Busy', text: 'x' })) as { id: string }).id)
    expect(busy).to.include({ status: 'sent', attempts: 2 })

    smtp.trouble('drop')
    const dropped = await settled(((await mail.send({ to: 'erin@example.com', subject: 'Dropped', text: 'x'.repeat(50_000) })) as { id: string }).id)
    expect(dropped).to.include({ status: 'sent', attempts: 2 })

    smtp.trouble('permanent')
    const refused = await settled(((await mail.send({ to: 'frank@example.com', subject: 'Refused', text: 'x' })) as { id: string }).id)
    expect(refused).to.include({ status: 'failed', attempts: 1 })
    expect(refused.last_error).to.include('550').and.include('No such mailbox here')
    expect(smtp.received.map((m) => m.to[0])).to.deep.equal(['dan@example.com', 'erin@example.com'])
    // The admin sees it on /admin, in the server's words.
    const { client: admin } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const overview = (await admin.get('/admin')).text
    expect(overview).to.include('Last 24 hours: 2 sent').and.include('1 failed')
    expect(overview).to.include('<strong>Refused</strong> to frank@example.com:').and.include('No such mailbox here').and.not.include(smtp.password)
  })

  it('a refused login fails at once on /admin in the server\'s words, never with the password', async () => {
    const wrong = await startTestHost({ config: { mail: settings({ password: 'the-wrong-password-42' }) }, plugins: { notifications: { enabled: true, config: {} } } })
    try {
      const queued = await mailOf(wrong).send({ to: 'kim@example.com', subject: 'Login', text: 'x' })
      const row = await waitFor('the mail to fail', async () => {
        const r = await wrong.db('mail_outbox').where({ id: (queued as { id: string }).id }).first()
        return r?.status === 'failed' ? r : undefined
      }, 30_000)
      expect(row.attempts).to.equal(1)
      expect(row.last_error).to.include('535').and.not.include('the-wrong-password-42')
      const { client: admin } = await wrong.signedIn(await wrong.createUser({ role: 'ADMIN' }))
      const page = (await admin.get('/admin')).text
      expect(page).to.include('Authentication credentials invalid').and.not.include('the-wrong-password-42')
    } finally {
      await wrong.stop()
    }
  })

  it('sends one address at most perRecipientPerHour mails, however many are asked for at once', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => mail.send({ to: 'gina@example.com', subject: `n${i}`, text: 'x' })))
    expect(results.filter((r) => r.queued)).to.have.length(3)
    expect(results.filter((r) => !r.queued).map((r) => (r as { why: string }).why)).to.deep.equal(['rate-limited', 'rate-limited', 'rate-limited'])
    expect(await host.db('mail_outbox').where({ recipient: 'gina@example.com' })).to.have.length(3)
    // Someone else is not held back by gina's limit.
    expect((await mail.send({ to: 'hank@example.com', subject: 'x', text: 'x' })).queued).to.equal(true)
  })

  it('without mail configured, queues nothing and says so', async () => {
    const bare = await startTestHost({ plugins: { notifications: { enabled: true, config: {} } } })
    try {
      const none = mailOf(bare)
      expect(none.configured).to.equal(false)
      // No publicUrl either: no absolute link a mail could carry, whatever Host a request named.
      expect(bare.app.host.plugins.find((p) => p.name === 'notifications')!.ctx!.http.absoluteUrl('/notifications')).to.equal(null)
      expect(await none.send({ to: 'ivy@example.com', subject: 'x', text: 'x' })).to.deep.equal({ queued: false, why: 'not-configured' })
      expect(await bare.db('mail_outbox')).to.deep.equal([])
      const { client: admin } = await bare.signedIn(await bare.createUser({ role: 'ADMIN' }))
      expect((await admin.get('/admin')).text).to.include('Not set up: MediaNest sends no mail')
    } finally {
      await bare.stop()
    }
  })

  describe('medianest mail test', () => {
    const withConfig = (mailSettings: Record<string, unknown>) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-mail-cli-'))
      fs.writeFileSync(path.join(dir, 'medianest.config.json'), JSON.stringify({ dataDir: './data', mail: mailSettings }))
      return dir
    }

    it('sends one mail now and says so', async () => {
      const dir = withConfig(settings())
      const run = await runCli(['mail', 'test', 'judy@example.com'], { cwd: dir })
      expect(run.code, run.stderr).to.equal(0)
      expect(run.stdout).to.include(`Sent a test mail to judy@example.com through localhost:${smtp.port}.`)
      expect(smtp.received.map((m) => m.to[0])).to.deep.equal(['judy@example.com'])
      fs.rmSync(dir, { recursive: true, force: true })
    })

    it('says why not in the server\'s words (a refused login, a certificate it does not trust), never the password', async () => {
      const wrong = withConfig(settings({ password: 'not-the-password-123' }))
      const refused = await runCli(['mail', 'test', 'judy@example.com'], { cwd: wrong })
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.include('the test mail to judy@example.com was not sent').and.include('535')
      expect(refused.stderr).to.not.include('not-the-password-123')
      const untrusted = withConfig(settings({ ca: undefined }))
      const tls = await runCli(['mail', 'test', 'judy@example.com'], { cwd: untrusted })
      expect(tls.code).to.equal(1)
      expect(tls.stderr).to.match(/certificate/i)
      const bad = await runCli(['mail', 'test', 'Judy <judy@example.com>'], { cwd: wrong })
      expect(bad.code).to.equal(2)
      expect(smtp.received).to.deep.equal([])
      for (const d of [wrong, untrusted]) fs.rmSync(d, { recursive: true, force: true })
    })

    it('refuses a configuration without mail, and a bad sender, before connecting', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-mail-cli-'))
      const none = await runCli(['mail', 'test', 'judy@example.com'], { cwd: dir })
      expect(none.code).to.equal(1)
      expect(none.stderr).to.include('mail is not configured')
      const badFrom = withConfig(settings({ from: 'MediaNest <media@example.com>\r\nBcc: x@example.com' }))
      const invalid = await runCli(['mail', 'test', 'judy@example.com'], { cwd: badFrom })
      expect(invalid.code).to.equal(1)
      expect(invalid.stderr).to.include('mail.from')
      for (const d of [dir, badFrom]) fs.rmSync(d, { recursive: true, force: true })
    })
  })
})
