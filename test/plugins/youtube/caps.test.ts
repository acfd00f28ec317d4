// youtube: the per-person cap of active downloads holds when submissions arrive at once.
// Ten submissions by one person, five through each of two instances on one PostgreSQL
// database (one instance on PGlite, which serves one process), leave exactly the cap:
// the count and the insert run under the person's lock (ctx.lock). Counting alone, even
// inside the transaction, let several pass together on PostgreSQL.
import { expect } from 'chai'
import { onPostgres } from '../../support/test-db.ts'
import { startTestHost, type TestHost } from '../../support/test-host.ts'
import { waitFor } from '../../support/wait-for.ts'
import { rows, startHarness, submit, type Harness } from './harness.ts'

describe('youtube: the cap of active downloads holds under simultaneous submissions', function () {
  this.timeout(180_000)
  let h: Harness
  let second: TestHost | undefined

  before(async () => {
    h = await startHarness({ config: { submissionsPerHour: 1000, maxActivePerUser: 3 } })
    if (onPostgres) {
      second = await startTestHost({
        database: h.host.database,
        plugins: { 'plex-auth': { enabled: true, config: {} }, youtube: { enabled: true, config: h.config } },
      })
    }
  })
  after(async () => {
    h?.videos.open()
    await second?.stop()
    await h?.stop()
  })

  it(`10 at once${onPostgres ? ', across two instances,' : ''} leave exactly 3 active, and the rest are told why`, async () => {
    // Held mid-item: nothing finishes (and frees a place) while the submissions arrive.
    h.videos.gate('cap-clip', 1000)
    for (let i = 0; i < 10; i++) h.videos.setPlaylist(`at-once-${i}`, `At Once ${i}`, ['cap-clip'])
    const one = await h.host.signedIn()
    const hosts = second ? [h.host, second] : [h.host]
    const clients = await Promise.all(hosts.map(async (host) => (host === h.host ? one : await host.signedIn(one.user)).client))

    // Every metadata read waits for the others, then all end together: the ten reach the
    // count and the insert at the same moment, the way a burst would at its worst.
    h.videos.holdPages()
    const submitting = Promise.all(Array.from({ length: 10 }, (_, i) => submit(clients[i % clients.length], h.videos.playlistUrl(`at-once-${i}`))))
    await waitFor('every metadata read to wait for its page', () => h.videos.heldPages() === 10, 60_000)
    h.videos.releasePages()
    const answers = await submitting
    const statuses = answers.map((a) => a.status).sort()
    expect(statuses).to.deep.equal([303, 303, 303, 422, 422, 422, 422, 422, 422, 422])
    for (const refused of answers.filter((a) => a.status === 422)) {
      expect(refused.text).to.match(/You have 3 downloads queued or running/)
    }
    const mine = await rows(h.host, one.user.id)
    expect(mine).to.have.length(3)
    expect(mine.every((r) => r.status === 'queued' || r.status === 'downloading')).to.equal(true)
  })
})
