import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'

describe('account: the sessions page', function () {
  let host: TestHost

  before(async () => {
    host = await startTestHost()
  })
  after(async () => {
    await host?.stop()
  })

  const sessionsOf = (userId: string) => host.db('sessions').where({ user_id: userId }).orderBy('created_at')

  it('lists the user\'s sessions with browser, IP and times, marking this one', async () => {
    const { client, user } = await host.signedIn()
    await host.signedIn(user)
    const { user: stranger } = await host.signedIn()
    const [mine, other] = await sessionsOf(user.id)
    const [theirs] = await sessionsOf(stranger.id)

    const res = await client.get('/account/sessions')
    expect(res.status).to.equal(200)
    expect(res.text).to.include(`id="account-session-${mine.id}"`)
    expect(res.text).to.include(`id="account-session-${other.id}"`)
    expect(res.text).not.to.include(theirs.id)
    expect(res.text.match(/this session<\/span>/g)).to.have.length(1)
    expect(res.text).to.include('127.0.0.1')
    expect(res.text).to.match(/<time datetime="\d{4}-\d\d-\d\dT/)
    expect(res.text).to.include('Sign out all other sessions')
  })

  it("writes the times in the zone the person chose, not UTC", async () => {
    const { client, user } = await host.signedIn(await host.createUser({ time_zone: 'Asia/Kolkata' }))
    await host.db('sessions').where({ user_id: user.id }).update({ created_at: new Date('2026-03-04T10:00:00Z') })
    const res = await client.get('/account/sessions')
    expect(res.text).to.match(/<time datetime="2026-03-04T10:00:00.000Z">4 Mar 2026, 15:30 GMT\+5:30<\/time>/)
  })

  it('escapes a hostile user agent', async () => {
    const user = await host.createUser()
    const client = host.client()
    await client.get('/login')
    await client.post('/login', { email: user.email, password: user.password }, { headers: { 'User-Agent': '<img src=x onerror=alert(1)>' } })
    const res = await client.get('/account/sessions')
    expect(res.text).not.to.include('<img src=x')
    expect(res.text).to.include('&lt;img src=x onerror=alert(1)&gt;')
  })

  it('signs out one other session (post-redirect-get), leaving the rest', async () => {
    const { client, user } = await host.signedIn()
    const { client: other } = await host.signedIn(user)
    const [, otherRow] = await sessionsOf(user.id)
    await client.get('/account/sessions')
    const res = await client.post(`/account/sessions/${otherRow.id}/revoke`)
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/account/sessions')
    expect((await client.get(res.location!)).text).to.include('That session was signed out.')
    expect((await other.get('/')).status).to.equal(303)
    expect(await sessionsOf(user.id)).to.have.length(1)
  })

  it('answers htmx with the refreshed list fragment', async () => {
    const { client, user } = await host.signedIn()
    await host.signedIn(user)
    const [, otherRow] = await sessionsOf(user.id)
    await client.get('/account/sessions')
    const res = await client.post(`/account/sessions/${otherRow.id}/revoke`, {}, { htmx: true })
    expect(res.status).to.equal(200)
    expect(res.text).to.match(/^<div id="account-sessions"/)
    expect(res.text).not.to.include(otherRow.id)
    expect(res.text).to.include('That session was signed out.')
  })

  it('treats ending this very session as signing out', async () => {
    const { client, user } = await host.signedIn()
    const [row] = await sessionsOf(user.id)
    await client.get('/account/sessions')
    const res = await client.post(`/account/sessions/${row.id}/revoke`)
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/login')
    expect(client.cookie('mn_session')).to.equal(undefined)
    expect(await sessionsOf(user.id)).to.have.length(0)
  })

  it('answers 404 for another user\'s session and leaves it alone (IDOR)', async () => {
    const { client } = await host.signedIn()
    const { client: victim, user: b } = await host.signedIn()
    const [row] = await sessionsOf(b.id)
    await client.get('/account/sessions')
    const res = await client.post(`/account/sessions/${row.id}/revoke`)
    expect(res.status).to.equal(404)
    expect(await sessionsOf(b.id)).to.have.length(1)
    expect((await victim.get('/')).status).to.equal(200)
  })

  it('answers 404, never 500, for ids that are not UUIDs', async () => {
    const { client, user } = await host.signedIn()
    await client.get('/account/sessions')
    for (const id of ['not-a-uuid', '1', "1' or '1'='1", '00000000-0000-0000-0000-00000000000g']) {
      const res = await client.post(`/account/sessions/${encodeURIComponent(id)}/revoke`)
      expect(res.status, id).to.equal(404)
    }
    const missing = await client.post('/account/sessions/6f1c1a52-7d64-4b0e-9a55-0b8f2f3c4d5e/revoke')
    expect(missing.status).to.equal(404)
    expect(await sessionsOf(user.id)).to.have.length(1)
  })
})
