import { expect } from 'chai'
import { openDatabase } from '../../core/db.ts'
import { createLogger } from '../../core/log.ts'
import type { TestClient } from '../support/http-client.ts'
import { SseClient } from '../support/sse-client.ts'
import { onPostgres } from '../support/test-db.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { sleep } from '../support/wait-for.ts'

const TOKEN = /mn_[A-Za-z0-9_-]{43}/

describe('live: a stream lasts only as long as its session or token', function () {
  let host: TestHost
  const streams: SseClient[] = []

  before(async () => {
    host = await startTestHost()
  })
  afterEach(async () => {
    for (const s of streams.splice(0)) await s.close()
  })
  after(async () => {
    await host?.stop()
  })

  const live = () => host.app.core.live
  async function open(headers: Record<string, string>): Promise<SseClient> {
    const stream = await SseClient.open(host.url, headers)
    streams.push(stream)
    expect(stream.status).to.equal(200)
    // The first recheck has answered once a published fragment arrives.
    return stream
  }
  const withSession = (client: TestClient) => open({ Cookie: `mn_session=${client.cookie('mn_session')}` })
  const withToken = (token: string) => open({ Authorization: `Bearer ${token}` })

  async function createToken(client: TestClient): Promise<{ token: string; id: string }> {
    await client.get('/account/tokens')
    const res = await client.post('/account/tokens', { name: 'dashboard script', lifetime: '30' })
    const token = TOKEN.exec(res.text)![0]
    const [row] = await host.db('session_tokens').orderBy('created_at', 'desc').limit(1)
    return { token, id: row.id }
  }

  async function admin() {
    const user = await host.createUser({ role: 'ADMIN' })
    return host.signedIn(user)
  }

  /** A USER fragment reaches every signed-in stream: proof the stream is live right now. */
  async function expectLive(stream: SseClient, marker: string): Promise<void> {
    await live().publish('message', `<p>${marker}</p>`, { role: 'USER' })
    await stream.waitFor(marker, (text) => text.includes(marker))
  }

  it('ends the stream when its page signs out', async () => {
    const { client } = await host.signedIn()
    const stream = await withSession(client)
    await expectLive(stream, 'before sign-out')
    expect((await client.post('/logout')).status).to.equal(303)
    await stream.waitForEnd('the stream to end after sign-out')
    await live().publish('message', '<p>admins after sign-out</p>', { role: 'ADMIN' })
    await sleep(50)
    expect(stream.text).not.to.include('after sign-out</p>')
  })

  it('ends the streams of sessions revoked from another session, one or all ("sign out everywhere")', async () => {
    const { client: laptop, user } = await host.signedIn()
    const { client: phone } = await host.signedIn(user)
    const { client: tablet } = await host.signedIn(user)
    const phoneStream = await withSession(phone)
    const tabletStream = await withSession(tablet)
    const laptopStream = await withSession(laptop)
    await expectLive(phoneStream, 'all three live')

    const phoneSession = await host.db('sessions').where({ user_id: user.id }).orderBy('created_at').offset(1).first('id')
    await laptop.get('/account/sessions')
    expect((await laptop.post(`/account/sessions/${phoneSession.id}/revoke`)).status).to.equal(303)
    await phoneStream.waitForEnd('the revoked session\'s stream to end')
    await expectLive(tabletStream, 'tablet still live')

    expect((await laptop.post('/account/sessions/revoke-others')).status).to.equal(303)
    await tabletStream.waitForEnd('the other sessions\' streams to end')
    await expectLive(laptopStream, 'the session that signed the others out keeps its stream')
  })

  it('ends every stream, session or API token, of a user an admin suspends', async () => {
    const { client: adminClient } = await admin()
    const { client, user } = await host.signedIn()
    const { token } = await createToken(client)
    const sessionStream = await withSession(client)
    const tokenStream = await withToken(token)
    await expectLive(tokenStream, 'before suspension')

    await adminClient.get(`/admin/users/${user.id}`)
    expect((await adminClient.post(`/admin/users/${user.id}/status`, { status: 'suspended' })).status).to.equal(303)
    await sessionStream.waitForEnd('the session stream to end')
    await tokenStream.waitForEnd('the token stream to end')
  })

  it('on demotion, ends the session stream and keeps the token stream to USER fragments only', async () => {
    const { client: adminClient } = await admin()
    const { client, user } = await admin()
    const { token } = await createToken(client)
    const sessionStream = await withSession(client)
    const tokenStream = await withToken(token)
    await live().publish('message', '<p>admins: before</p>', { role: 'ADMIN' })
    await tokenStream.waitFor('the ADMIN fragment while still an admin', (text) => text.includes('admins: before'))

    await adminClient.get(`/admin/users/${user.id}`)
    expect((await adminClient.post(`/admin/users/${user.id}/role`, { role: 'USER' })).status).to.equal(303)
    await sessionStream.waitForEnd('the session stream to end (a lost role ends sessions)')
    // The very next deliveries already use the new role: no wait for the notice here.
    await live().publish('message', '<p>admins: after</p>', { role: 'ADMIN' })
    await live().publish('message', '<p>everyone: after</p>', { role: 'USER' })
    await tokenStream.waitFor('the USER fragment', (text) => text.includes('everyone: after'))
    expect(tokenStream.ended).to.equal(false)
    expect(tokenStream.text).not.to.include('admins: after')
  })

  it('sends ADMIN fragments to a token stream once its user is promoted', async () => {
    const { client: adminClient } = await admin()
    const { client, user } = await host.signedIn()
    const { token } = await createToken(client)
    const tokenStream = await withToken(token)
    await live().publish('message', '<p>admins: not yet</p>', { role: 'ADMIN' })
    await expectLive(tokenStream, 'a user for now')

    await adminClient.get(`/admin/users/${user.id}`)
    expect((await adminClient.post(`/admin/users/${user.id}/role`, { role: 'ADMIN' })).status).to.equal(303)
    await live().publish('message', '<p>admins: now</p>', { role: 'ADMIN' })
    await tokenStream.waitFor('the ADMIN fragment', (text) => text.includes('admins: now'))
    expect(tokenStream.text).not.to.include('admins: not yet')
  })

  it('ends the stream of an API token its owner revokes, and only that one', async () => {
    const { client } = await host.signedIn()
    const revoked = await createToken(client)
    const kept = await createToken(client)
    const revokedStream = await withToken(revoked.token)
    const keptStream = await withToken(kept.token)
    await expectLive(revokedStream, 'both tokens live')

    await client.get('/account/tokens')
    expect((await client.post(`/account/tokens/${revoked.id}/revoke`)).status).to.equal(303)
    await revokedStream.waitForEnd('the revoked token\'s stream to end')
    await expectLive(keptStream, 'the other token still live')
  })

  it('ends a stream whose session row is deleted by any code path, in any process', async () => {
    const { client, user } = await host.signedIn()
    const stream = await withSession(client)
    await expectLive(stream, 'before the delete')
    // On PostgreSQL, another process's connection: only the trigger's notice tells this one.
    const other = onPostgres
      ? await openDatabase({ databaseUrl: host.database.databaseUrl, dataDir: '/tmp/medianest-test', log: createLogger('error', false, true) })
      : null
    try {
      await (other?.knex ?? host.db)('sessions').where({ user_id: user.id }).del()
      await stream.waitForEnd('the stream to end')
    } finally {
      await other?.close()
    }
  })

  it('ends a stream on one instance when its page signs out through another (PostgreSQL)', async function () {
    if (!onPostgres) this.skip() // PGlite serves one process: there is no second instance
    const second = await startTestHost({ database: host.database })
    try {
      const { client } = await host.signedIn()
      const stream = await withSession(client)
      await expectLive(stream, 'before signing out elsewhere')
      const elsewhere = second.client()
      elsewhere.setCookie('mn_session', client.cookie('mn_session')!)
      expect((await elsewhere.get('/')).status).to.equal(200)
      expect((await elsewhere.post('/logout')).status).to.equal(303)
      await stream.waitForEnd('the stream on the first instance to end')
    } finally {
      await second.stop()
    }
  })
})
