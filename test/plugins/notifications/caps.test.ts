// notifications: the per-person cap of delivery targets holds when additions arrive at
// once: ten by one person, five through each of two instances on one PostgreSQL database
// (one instance on PGlite), leave exactly the cap, the count and the insert taking turns
// under the person's lock (ctx.lock).
import { expect, startFakeReceiver, startTestHost, type FakeReceiver, type TestHost } from 'medianest/testing'
import { onPostgres } from '../../support/test-db.ts'
import { FIXTURE, notificationsHost } from './harness.ts'

describe('notifications: the cap of targets holds under simultaneous additions', function () {
  this.timeout(120_000)
  const config = { userTargetHosts: { discord: [], ntfy: ['127.0.0.1'] }, maxChannelsPerUser: 3 }
  let ntfy: FakeReceiver
  let host: TestHost
  let second: TestHost | undefined

  before(async () => {
    ntfy = await startFakeReceiver('ntfy')
    host = await notificationsHost(config)
    if (onPostgres) {
      second = await startTestHost({
        database: host.database,
        plugins: { notifications: { enabled: true, config }, 'notify-fixture': { enabled: true, source: FIXTURE } },
      })
    }
  })
  after(async () => {
    await second?.stop()
    await host?.stop()
    await ntfy?.close()
  })

  it(`10 at once${onPostgres ? ', across two instances,' : ''} leave exactly 3 targets, and the rest are refused beside the field`, async () => {
    const one = await host.signedIn()
    const clients = second ? [one.client, (await second.signedIn(one.user)).client] : [one.client]
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => clients[i % clients.length].post(
      '/notifications/preferences/channels', { kind: 'ntfy', name: `Phone ${i}`, url: `${ntfy.url}/topic-${i}` }, { htmx: true })))
    expect(answers.map((a) => a.status).filter((s) => s === 422)).to.have.length(7)
    for (const refused of answers.filter((a) => a.status === 422)) expect(refused.text).to.include('You have 3 targets already')
    expect(await host.db('notification_channels').where({ owner_user_id: one.user.id })).to.have.length(3)
  })
})
