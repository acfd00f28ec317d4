// notifications: the bell is on every page, so its data sits in a viewer cache (ctx.viewerCache,
// 1.4). A warm page asks the notifications table nothing; a new notification, or marking
// them read, shows on the next page at once, in this instance and (PostgreSQL) in another
// instance on the same database, whose entry the change's NOTIFY dropped.
import { expect, startTestHost, type TestClient, type TestHost } from 'medianest/testing'
import { onPostgres } from '../../support/test-db.ts'
import { waitFor } from '../../support/wait-for.ts'
import { EVERY_CACHE, VIEWER_CACHE_CHANNEL } from '../../../core/viewer-cache.ts'
import { emit, FIXTURE, notificationsHost, settled } from './harness.ts'

const count = (html: string) => Number(/id="notifications-bell-count">(\d+)</.exec(html)?.[1])
/** In the inbox: how many are shown, and how many of them unread. */
const inbox = (html: string) => ({ shown: (html.match(/class="notifications-item"/g) ?? []).length, unread: (html.match(/class="badge warn">Unread<\/span><\/h2>/g) ?? []).length })

describe('notifications: the bell is cached per person and dropped everywhere on a change', function () {
  this.timeout(60_000)
  let host: TestHost
  let second: TestHost | undefined

  before(async () => {
    host = await notificationsHost()
    if (onPostgres) {
      second = await startTestHost({
        database: host.database,
        plugins: { notifications: { enabled: true, config: {} }, 'notify-fixture': { enabled: true, source: FIXTURE } },
      })
    }
  })
  after(async () => {
    await second?.stop()
    await host?.stop()
  })

  /** Queries on the notifications table while `work` runs, in this instance. */
  async function bellQueries(target: TestHost, work: () => Promise<unknown>): Promise<number> {
    let n = 0
    const onQuery = (q: { sql: string }) => { if (/from "notifications"/.test(q.sql)) n += 1 }
    target.db.on('query', onQuery)
    try {
      await work()
    } finally {
      target.db.off('query', onQuery)
    }
    return n
  }

  it('a warm page asks nothing for the bell; a new notification and "mark all read" show at once, in every instance', async () => {
    const admin = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const other: TestClient = second ? (await second.signedIn(admin.user)).client : admin.client
    const otherHost = second ?? host

    expect(count((await admin.client.get('/')).text)).to.equal(0)
    expect(count((await other.get('/')).text)).to.equal(0)
    expect(await bellQueries(host, () => admin.client.get('/'))).to.equal(0)
    expect(await bellQueries(otherHost, () => other.get('/'))).to.equal(0)

    // incident.opened reaches admins: made through the first instance.
    await emit(admin.client, 'incident.opened', { title: 'Plex' })
    await settled(host)
    expect(count((await admin.client.get('/')).text)).to.equal(1)
    expect(count((await other.get('/')).text), 'the other instance dropped its entry').to.equal(1)
    // The inbox's first page comes from the same entry.
    expect(inbox((await admin.client.get('/notifications')).text)).to.deep.equal({ shown: 1, unread: 1 })
    expect(inbox((await other.get('/notifications')).text)).to.deep.equal({ shown: 1, unread: 1 })
    expect(await bellQueries(otherHost, () => other.get('/notifications'))).to.equal(0)

    // Read through the other instance: the first shows it.
    expect((await other.post('/notifications/read-all', {})).status).to.equal(303)
    expect(count((await admin.client.get('/')).text)).to.equal(0)
    expect(count((await other.get('/')).text)).to.equal(0)
    expect(await bellQueries(host, () => admin.client.get('/'))).to.equal(0)
    expect(inbox((await admin.client.get('/notifications')).text)).to.deep.equal({ shown: 1, unread: 0 })
    // A filter or a later page is read from the table.
    expect(await bellQueries(host, () => admin.client.get('/notifications?filter=unread'))).to.equal(1)
  })

  it('rows written past the plugin (a seed) show once the seed has said so, in every instance', async () => {
    const person = await host.signedIn(await host.createUser())
    const other: TestClient = second ? (await second.signedIn(person.user)).client : person.client
    for (const c of [person.client, other]) expect(count((await c.get('/')).text)).to.equal(0)
    await host.db('notifications').insert({ user_id: person.user.id, type: 'seed.demo', title: 'Seeded', message: 'Written straight into the table.', fact_key: 'seeded-1' })
    expect(count((await other.get('/')).text), 'still the cached count: nothing said the table changed').to.equal(0)
    // What `medianest seed demo` sends after its commit.
    await host.app.db.notify(VIEWER_CACHE_CHANNEL, EVERY_CACHE)
    for (const c of [person.client, other]) {
      await waitFor('the seeded notification in the bell', async () => count((await c.get('/')).text) === 1, 5000)
    }
  })
})
