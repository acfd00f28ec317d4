import { expect } from 'chai'
import { hashToken } from '../../core/auth/tokens.ts'
import type { TestClient } from '../support/http-client.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const TOKEN = /mn_[A-Za-z0-9_-]{43}/g

describe('account: personal API tokens', function () {
  let host: TestHost

  before(async () => {
    host = await startTestHost()
  })
  after(async () => {
    await host?.stop()
  })

  const tokensOf = (userId: string) => host.db('session_tokens').where({ user_id: userId })
  const bearerGet = (path: string, token: string, accept = 'text/html') =>
    fetch(host.url + path, { headers: { Authorization: `Bearer ${token}`, Accept: accept }, redirect: 'manual' })

  async function createToken(client: TestClient, name = 'backup script', lifetime = '30') {
    await client.get('/account/tokens')
    const res = await client.post('/account/tokens', { name, lifetime })
    const shown = res.text.match(TOKEN) ?? []
    return { res, token: shown[0] }
  }

  it('creates a token, shows it exactly once and keeps only its hash', async () => {
    const { client, user } = await host.signedIn()
    const { res, token } = await createToken(client, 'backup script', '90')
    expect(res.status).to.equal(201)
    expect(res.headers.get('cache-control')).to.include('no-store')
    expect(res.text.match(TOKEN)).to.have.length(1)
    expect(res.text).to.include('Copy it now.')

    const [row] = await tokensOf(user.id)
    expect(row.name).to.equal('backup script')
    expect(row.token_hash).to.equal(hashToken(token!))
    const days = (row.expires_at.getTime() - row.created_at.getTime()) / 86_400_000
    expect(days).to.be.closeTo(90, 0.01)

    const later = await client.get('/account/tokens')
    expect(later.text).to.include('backup script')
    expect(later.text).not.to.include(token!)
    expect(later.text.match(TOKEN)).to.equal(null)
  })

  it('authenticates a Bearer request as the token\'s owner, and refuses it once revoked', async () => {
    const { client, user } = await host.signedIn()
    const { token } = await createToken(client)
    const ok = await bearerGet('/', token!)
    expect(ok.status).to.equal(200)
    expect(await ok.text()).to.include(user.name!)

    const [row] = await tokensOf(user.id)
    expect(row.last_used_at).to.be.instanceOf(Date)
    const page = await client.get('/account/tokens')
    expect(page.text).not.to.include('never</span>')

    const revoke = await client.post(`/account/tokens/${row.id}/revoke`)
    expect(revoke.status).to.equal(303)
    expect(revoke.location).to.equal('/account/tokens')
    expect(await tokensOf(user.id)).to.have.length(0)

    const refused = await bearerGet('/', token!)
    expect(refused.status).to.equal(401)
    expect((await bearerGet('/', token!, 'application/json')).status).to.equal(401)
  })

  it('does not let an API token change account settings or make more tokens', async () => {
    const { client, user } = await host.signedIn()
    const { token } = await createToken(client)
    const res = await fetch(host.url + '/account/tokens', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ name: 'minted', lifetime: '365' }).toString(),
    })
    expect(res.status).to.equal(403)
    expect(await tokensOf(user.id)).to.have.length(1)
  })

  it('refuses a missing or too long name and an unknown lifetime with 422, creating nothing', async () => {
    const { client, user } = await host.signedIn()
    await client.get('/account/tokens')
    const cases: Array<[Record<string, string>, string]> = [
      [{ name: '   ', lifetime: '30' }, 'Give the token a name'],
      [{ name: 'n'.repeat(101), lifetime: '30' }, 'Use at most 100 characters for the name.'],
      [{ name: 'forever', lifetime: '100000' }, 'Choose how long the token lasts'],
      [{ name: 'forever' }, 'Choose how long the token lasts'],
    ]
    for (const [form, message] of cases) {
      const res = await client.post('/account/tokens', form)
      expect(res.status, message).to.equal(422)
      expect(res.text).to.include(message)
      expect(res.text.match(TOKEN)).to.equal(null)
    }
    expect(await tokensOf(user.id)).to.have.length(0)
  })

  it('answers htmx with the tokens fragment, new token included', async () => {
    const { client } = await host.signedIn()
    await client.get('/account/tokens')
    const res = await client.post('/account/tokens', { name: '<b>cron</b>', lifetime: '365' }, { htmx: true })
    expect(res.status).to.equal(201)
    expect(res.text).to.match(/^<div id="account-tokens"/)
    expect(res.text.match(TOKEN)).to.have.length(1)
    expect(res.text).to.include('&lt;b&gt;cron&lt;/b&gt;')
    expect(res.text).not.to.include('<b>cron</b>')

    const bad = await client.post('/account/tokens', { name: '', lifetime: '30' }, { htmx: true })
    expect(bad.status).to.equal(422)
    expect(bad.text).to.match(/^<div id="account-tokens"/)
    expect(bad.text).to.include('class="field-error"')
  })

  it('answers 404 when revoking another user\'s token and leaves it working (IDOR)', async () => {
    const { client: a } = await host.signedIn()
    const { client: b, user: userB } = await host.signedIn()
    const { token } = await createToken(b)
    const [row] = await tokensOf(userB.id)

    await a.get('/account/tokens')
    const res = await a.post(`/account/tokens/${row.id}/revoke`)
    expect(res.status).to.equal(404)
    expect(await tokensOf(userB.id)).to.have.length(1)
    expect((await bearerGet('/', token!)).status).to.equal(200)

    for (const id of ['nope', '12345', '00000000-0000-0000-0000-00000000000z']) {
      expect((await a.post(`/account/tokens/${id}/revoke`)).status, id).to.equal(404)
    }
  })
})
