import { expect, onPostgres, type TestHost, type TestClient } from 'medianest/testing'
import { SseClient } from '../../support/sse-client.ts'
import { emit, notificationsHost, settled } from './harness.ts'

const countPartial = (n: number) => `<hx-partial hx-target="#notifications-bell-count" hx-swap="innerHTML">${n}</hx-partial>`

describe('notifications: the bell is updated live over the page\'s one stream', function () {
  this.timeout(120_000)
  let host: TestHost
  let frank: { client: TestClient; user: { id: string } }
  const streams: SseClient[] = []

  before(async () => {
    host = await notificationsHost()
    frank = await host.signedIn()
  })
  after(async () => {
    for (const s of streams) await s.close()
    await host?.stop()
  })

  it('pushes the new count and the latest list when a notification arrives, and when one is read in another tab', async () => {
    const stream = await SseClient.open(host.url, { Cookie: frank.client.cookieHeader() })
    streams.push(stream)
    expect(stream.status).to.equal(200)
    await emit(frank.client, 'request.approved', { userId: frank.user.id, title: 'Live <i>one</i>', id: 1 })
    await stream.waitFor('the count 1', (t) => t.includes(countPartial(1)), 15_000)
    await stream.waitFor('the latest list', (t) => t.includes('hx-target="#notifications-bell-latest"') && t.includes('Approved: Live &lt;i&gt;one&lt;/i&gt;'), 15_000)
    await settled(host)
    const row = await host.db('notifications').where({ user_id: frank.user.id }).first()
    expect((await frank.client.post(`/notifications/${row.id}/read`)).status).to.equal(303)
    await stream.waitFor('the count 0', (t) => t.includes(countPartial(0)))
  })

  it('sends nothing about one person to another person\'s stream', async () => {
    const other = await host.signedIn()
    const stream = await SseClient.open(host.url, { Cookie: other.client.cookieHeader() })
    streams.push(stream)
    await emit(frank.client, 'request.approved', { userId: frank.user.id, title: 'Private', id: 2 })
    await settled(host)
    await emit(other.client, 'request.approved', { userId: other.user.id, title: 'Mine', id: 3 })
    await stream.waitFor('their own update', (t) => t.includes('Approved: Mine'), 15_000)
    expect(stream.text).to.not.include('Private')
  })

  describe('two processes on one PostgreSQL database', function () {
    let b: TestHost | undefined
    before(async function () {
      if (!onPostgres) this.skip() // PGlite serves one process; the cross-process case needs PostgreSQL
      b = await notificationsHost({}, { database: host.database })
    })
    after(async () => { await b?.stop() })

    it('updates the bell in process B when a notification is created and read in process A', async () => {
      const gina = await host.signedIn()
      // Sessions live in the database: the same cookie opens B's stream.
      const stream = await SseClient.open(b!.url, { Cookie: gina.client.cookieHeader() })
      streams.push(stream)
      expect(stream.status).to.equal(200)
      await emit(gina.client, 'request.approved', { userId: gina.user.id, title: 'Across', id: 4 })
      await stream.waitFor('the count 1 in B', (t) => t.includes(countPartial(1)), 20_000)
      await settled(host)
      const row = await host.db('notifications').where({ user_id: gina.user.id }).first()
      // This request is served by A, so A publishes; B's stream must still hear it.
      expect((await gina.client.post(`/notifications/${row.id}/read`)).status).to.equal(303)
      await stream.waitFor('the count 0 in B', (t) => t.includes(countPartial(0)), 20_000)
    })
  })
})
