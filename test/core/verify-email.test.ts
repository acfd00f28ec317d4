// Email verification (issue 34, part 2): a person with an unconfirmed address asks from
// /account for a link; following it once, within 24 hours, sets users.email_verified.
// A used, expired or forged link changes nothing and says how to ask again; an API token
// cannot ask; without mail the page offers nothing.
import { expect } from 'chai'
import { clock } from '../../core/clock.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { mailSettings, startFakeSmtp, type FakeSmtp } from '../support/fake-smtp.ts'
import { waitFor } from '../support/wait-for.ts'

describe('email verification', function () {
  this.timeout(120_000)
  let smtp: FakeSmtp
  let host: TestHost

  before(async () => {
    smtp = await startFakeSmtp()
    host = await startTestHost({
      config: {
        publicUrl: 'https://media.example.com',
        mail: mailSettings(smtp, { perRecipientPerHour: 2 }),
      },
    })
  })
  after(async () => {
    await host?.stop()
    await smtp?.close()
  })
  afterEach(() => clock.reset())

  const verified = async (id: string) => (await host.db('users').where({ id }).first()).email_verified
  const mailTo = (email: string) => waitFor(`a mail to ${email}`, () => smtp.received.filter((m) => m.to[0] === email).at(-1), 30_000)
  const linkIn = (raw: string) => /https:\/\/media\.example\.com(\/verify-email\/[A-Za-z0-9_-]+)/.exec(raw.replace(/=\r?\n/g, ''))![1]

  it('mails a link from the account page; following it once confirms the address', async () => {
    const { client, user } = await host.signedIn()
    expect(await verified(user.id)).to.equal(false)
    const page = await client.get('/account')
    expect(page.text).to.include('Your email address is not confirmed yet.').and.include('action="/account/verify-email"')
    const asked = await client.post('/account/verify-email', {})
    expect([asked.status, asked.location]).to.deep.equal([303, '/account'])
    expect((await client.get('/account')).text).to.include('We mailed you a link to confirm your address.')
    const link = linkIn((await mailTo(user.email)).raw)

    const visitor = host.client()
    const done = await visitor.get(link)
    expect(done.status).to.equal(200)
    expect(done.text).to.include('Your email address is confirmed.')
    expect(await verified(user.id)).to.equal(true)
    expect((await client.get('/account')).text).to.include('Your email address is confirmed.').and.not.include('action="/account/verify-email"')
    const again = await visitor.get(link)
    expect(again.status).to.equal(410)
    expect(again.text).to.include('Ask for a new one')
    // Confirmed already: asking again sends nothing.
    const before = smtp.received.length
    await client.post('/account/verify-email', {})
    expect((await client.get('/account')).text).to.include('Your address is confirmed already.')
    expect(smtp.received.length).to.equal(before)
  })

  it('refuses an expired or forged link and changes nothing', async () => {
    const { client, user } = await host.signedIn()
    await client.post('/account/verify-email', {})
    const link = linkIn((await mailTo(user.email)).raw)
    clock.advance(25 * 3600_000)
    expect((await host.client().get(link)).status).to.equal(410)
    for (const forged of ['/verify-email/not-a-token', `/verify-email/${'A'.repeat(43)}`, '/verify-email/%3Cscript%3E']) {
      expect((await host.client().get(forged)).status, forged).to.equal(410)
    }
    expect(await verified(user.id)).to.equal(false)
  })

  it('an API token cannot ask, and a person cannot confirm someone else by their link', async () => {
    const { client, user } = await host.signedIn()
    const other = await host.createUser()
    const token = await client.post('/account/tokens', { name: 'script', lifetime: '30' })
    const secret = /mn_[A-Za-z0-9_-]{43}/.exec(token.text)?.[0]
    expect(secret, 'the new token is shown once').to.be.a('string')
    const res = await fetch(`${host.url}/account/verify-email`, { method: 'POST', headers: { Authorization: `Bearer ${secret}` } })
    expect(res.status).to.equal(403)
    expect(await host.db('verification_tokens').where('identifier', 'like', `verify:${user.id}:%`)).to.deep.equal([])
    await client.post('/account/verify-email', {})
    const link = linkIn((await mailTo(user.email)).raw)
    const { client: otherClient } = await host.signedIn(other)
    expect((await otherClient.get(link)).status).to.equal(200)
    // The link confirms its own account's address, whoever opens it.
    expect(await verified(user.id)).to.equal(true)
    expect(await verified(other.id)).to.equal(false)
  })

  it('without mail configured, the account page offers nothing and asking sends nothing', async () => {
    const bare = await startTestHost()
    try {
      const { client } = await bare.signedIn()
      expect((await client.get('/account')).text).to.not.include('action="/account/verify-email"')
      await client.post('/account/verify-email', {})
      expect((await client.get('/account')).text).to.include('This server does not send mail')
      expect(await bare.db('verification_tokens').where('identifier', 'like', 'verify:%')).to.deep.equal([])
    } finally {
      await bare.stop()
    }
  })
})
