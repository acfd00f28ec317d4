import { expect } from 'chai'
import { clock } from '../../core/clock.ts'
import { hashToken } from '../../core/auth/tokens.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const COOKIE = 'mn_session'
const MINUTE = 60_000
const DAY = 24 * 3600_000

async function sessionRows(host: TestHost, userId: string) {
  return host.db('sessions').where({ user_id: userId }).orderBy('created_at')
}

describe('sessions: sign-in, expiry, sign-out', function () {
  let host: TestHost

  before(async () => {
    host = await startTestHost()
  })
  afterEach(() => clock.reset())
  after(async () => {
    await host?.stop()
  })

  it('stores only the SHA-256 of the session cookie, never the cookie itself', async () => {
    const { client, user } = await host.signedIn()
    const cookie = client.cookie(COOKIE)!
    expect(cookie).to.have.length.greaterThan(40)
    const [row] = await sessionRows(host, user.id)
    expect(row.session_token).to.equal(hashToken(cookie))
    expect(row.session_token).not.to.equal(cookie)
    const found = await host.db('sessions').where({ session_token: cookie }).first()
    expect(found).to.equal(undefined)
  })

  it('issues a new token at every sign-in and ignores a cookie planted before it (no fixation)', async () => {
    const user = await host.createUser()
    const client = host.client()
    await client.get('/login')
    client.setCookie(COOKIE, 'planted-by-an-attacker-0123456789abcdefghijkl')
    const first = await client.post('/login', { email: user.email, password: user.password })
    expect(first.status).to.equal(303)
    const afterFirst = client.cookie(COOKIE)
    expect(afterFirst).to.be.a('string').and.not.equal('planted-by-an-attacker-0123456789abcdefghijkl')

    await client.get('/') // a signed-in page: its forms carry the session's CSRF token
    const second = await client.post('/login', { email: user.email, password: user.password })
    expect(second.status).to.equal(303)
    expect(client.cookie(COOKIE)).to.be.a('string').and.not.equal(afterFirst)
    // Signing in over a live session rotates it: the old one is gone, not kept beside the new.
    expect(await sessionRows(host, user.id)).to.have.length(1)
    const stale = host.client()
    stale.setCookie(COOKIE, afterFirst!)
    expect((await stale.get('/')).status).to.equal(303)
  })

  it('ends a session left idle for more than 7 days, and deletes its row', async () => {
    const { client, user } = await host.signedIn()
    clock.advance(7 * DAY + MINUTE)
    const res = await client.get('/')
    expect(res.status).to.equal(303)
    expect(res.location).to.match(/^\/login/)
    expect(await sessionRows(host, user.id)).to.have.length(0)
  })

  it('keeps a session alive while it is used, but never past 30 days', async () => {
    const { client, user } = await host.signedIn()
    for (let day = 1; day < 30; day++) {
      clock.advance(DAY)
      const res = await client.get('/')
      expect(res.status, `day ${day}`).to.equal(200)
    }
    clock.advance(DAY)
    const res = await client.get('/')
    expect(res.status).to.equal(303)
    expect(res.location).to.match(/^\/login/)
    expect(await sessionRows(host, user.id)).to.have.length(0)
  })

  it('slides last_used_at forward at most once a minute', async () => {
    const { client, user } = await host.signedIn()
    const [before] = await sessionRows(host, user.id)

    clock.advance(30_000)
    expect((await client.get('/')).status).to.equal(200)
    const [unchanged] = await sessionRows(host, user.id)
    expect(unchanged.last_used_at.getTime()).to.equal(before.last_used_at.getTime())
    expect(unchanged.expires.getTime()).to.equal(before.expires.getTime())

    clock.advance(31_000)
    expect((await client.get('/')).status).to.equal(200)
    const [slid] = await sessionRows(host, user.id)
    expect(slid.last_used_at.getTime()).to.be.greaterThan(before.last_used_at.getTime())
    expect(slid.expires.getTime()).to.be.greaterThan(before.expires.getTime())

    clock.advance(10_000)
    expect((await client.get('/')).status).to.equal(200)
    const [again] = await sessionRows(host, user.id)
    expect(again.last_used_at.getTime()).to.equal(slid.last_used_at.getTime())
  })

  it('sign-out deletes the session: replaying the old cookie is not signed in', async () => {
    const { client, user } = await host.signedIn()
    const old = client.cookie(COOKIE)!
    const res = await client.post('/logout')
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/login')
    expect(client.cookie(COOKIE)).to.equal(undefined)
    expect(await sessionRows(host, user.id)).to.have.length(0)

    const replay = host.client()
    replay.setCookie(COOKIE, old)
    const again = await replay.get('/')
    expect(again.status).to.equal(303)
    expect(again.location).to.match(/^\/login/)
  })

  it('signs out every other session on request, keeping this one', async () => {
    const { client: laptop, user } = await host.signedIn()
    const { client: phone } = await host.signedIn(user)
    expect(await sessionRows(host, user.id)).to.have.length(2)

    await laptop.get('/account/sessions')
    const res = await laptop.post('/account/sessions/revoke-others')
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/account/sessions')

    expect((await laptop.get('/')).status).to.equal(200)
    const phoneRes = await phone.get('/')
    expect(phoneRes.status).to.equal(303)
    expect(phoneRes.location).to.match(/^\/login/)
    expect(await sessionRows(host, user.id)).to.have.length(1)
  })

  it('signs a suspended user out at their next request', async () => {
    const { client, user } = await host.signedIn()
    await host.signedIn(user)
    await host.db('users').where({ id: user.id }).update({ status: 'suspended' })
    const res = await client.get('/')
    expect(res.status).to.equal(303)
    expect(res.location).to.match(/^\/login/)
    expect(await sessionRows(host, user.id)).to.have.length(0)
  })
})
