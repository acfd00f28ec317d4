// "everyone" has no ceiling (issue 34, part 5): a fact for everyone reaches every active
// person however many there are, a page of 500 per job, and a page run again writes
// nothing twice. Also the contract it stands on, ctx.users.page (plugin API 1.12).
import { expect, type TestHost, type TestClient } from 'medianest/testing'
import { SseClient } from '../../support/sse-client.ts'
import { emit, notificationsHost, settled } from './harness.ts'
import { FAN_OUT_PAGE, fanOutPage, type FanOut } from '../../../plugins/notifications/fan-out.ts'
import type { NotificationsContext } from '../../../plugins/notifications/plugin-config.ts'

const PEOPLE = 10_000
const PARTY = 'notify-fixture.party.announced'

describe('notifications: the "everyone" audience, paged', function () {
  this.timeout(300_000)
  let host: TestHost
  let admin: { client: TestClient; user: { id: string } }
  let ctx: NotificationsContext
  let suspended: string

  const count = async (table: string, where: Record<string, unknown> = {}) =>
    Number(((await host.db(table).where(where).count({ n: '*' }).first()) as { n: string | number }).n)
  const activeUsers = () => count('users', { status: 'active' })

  before(async () => {
    host = await notificationsHost()
    admin = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    ctx = host.app.host.plugins.find((p) => p.name === 'notifications')!.ctx as NotificationsContext
    // Straight into the table: 10,000 sign-ups through the pages would test the sign-up.
    for (let start = 0; start < PEOPLE; start += 1000) {
      await host.db('users').insert(Array.from({ length: Math.min(1000, PEOPLE - start) }, (_, i) => ({
        email: `crowd${start + i}@example.test`, name: `Crowd ${start + i}`, role: 'USER',
      })))
    }
    suspended = (await host.createUser({ status: 'suspended' } as never)).id
  })
  after(async () => { await host?.stop() })

  describe('ctx.users.page', () => {
    it('walks every matching user once, in pages, and says when it is done', async () => {
      const seen = new Set<string>()
      let after: string | undefined
      let pages = 0
      for (;;) {
        const page = await ctx.users.page({ status: 'active', limit: 1000, ...(after ? { after } : {}) })
        pages += 1
        for (const u of page.users) {
          expect(seen.has(u.id), `${u.id} on two pages`).to.equal(false)
          expect(u.status).to.equal('active')
          seen.add(u.id)
        }
        if (!page.next) break
        expect(page.users).to.have.length(1000)
        after = page.next
      }
      expect(seen.size).to.equal(await activeUsers())
      expect(seen.has(suspended)).to.equal(false)
      expect(pages).to.equal(Math.ceil(seen.size / 1000))
      const admins = await ctx.users.page({ role: 'ADMIN' })
      expect(admins.users.map((u) => u.id)).to.include(admin.user.id)
      expect(admins.users.every((u) => u.role === 'ADMIN')).to.equal(true)
      expect(admins.next).to.equal(null)
    })

    it('refuses a limit out of 1–1000 and an `after` that is not a page\'s next', async () => {
      for (const limit of [0, 1001, 2.5, -1]) {
        let thrown: unknown
        try { await ctx.users.page({ limit }) } catch (e) { thrown = e }
        expect(thrown, `limit ${limit}`).to.be.instanceOf(RangeError)
      }
      for (const after of ["' or 1=1 --", 'not-an-id', '']) {
        let thrown: unknown
        try { await ctx.users.page({ after }) } catch (e) { thrown = e }
        expect(thrown, `after ${JSON.stringify(after)}`).to.be.instanceOf(RangeError)
      }
    })
  })

  it(`reaches all ${PEOPLE.toLocaleString('en')} and more active people, one job per page, and no one suspended`, async () => {
    // One person wants it sent to their own target too: their delivery is queued with their row.
    const someone = (await host.db('users').where({ email: 'crowd7777@example.test' }).first()).id
    await host.db('notification_channels').insert({
      owner_user_id: someone, kind: 'ntfy', name: 'Phone', url_sealed: 'x', url_hint: 'https://ntfy.sh/…', enabled: true, settings: '{}',
    })
    await emit(admin.client, 'party.announced', { title: 'Alien' })
    await settled(host, 240_000)
    const everyone = await activeUsers()
    expect(everyone).to.be.greaterThan(PEOPLE)
    const rows = await host.db('notifications').where({ type: PARTY }).select(host.db.raw('count(*)::int as n, count(distinct user_id)::int as people')).first() as { n: number; people: number }
    expect(rows).to.deep.equal({ n: everyone, people: everyone })
    expect(await count('notifications', { type: PARTY, user_id: suspended })).to.equal(0)
    // The first page in the event's own delivery, each later one a job of its own.
    const pageJobs = await host.db('jobs').where({ name: 'notifications.fan-out' }).select('status')
    expect(pageJobs).to.have.length(Math.ceil(everyone / FAN_OUT_PAGE) - 1)
    expect(pageJobs.map((j) => j.status)).to.deep.equal(pageJobs.map(() => 'succeeded'))
    const delivery = await host.db('notification_deliveries as d').join('notifications as n', 'n.id', 'd.notification_id').where({ 'n.user_id': someone, 'n.type': PARTY })
    expect(delivery).to.have.length(1)
  })

  it('a page run again (a retry, a crash after its commit) writes nothing twice and queues no second next page', async () => {
    const job = await host.db('jobs').where({ name: 'notifications.fan-out' }).orderBy('created_at').first()
    const payload = (typeof job.payload === 'string' ? JSON.parse(job.payload) : job.payload) as FanOut
    const before = { notifications: await count('notifications', { type: PARTY }), jobs: await count('jobs'), deliveries: await count('notification_deliveries') }
    await fanOutPage(ctx, payload)
    await fanOutPage(ctx, payload)
    await settled(host)
    expect({ notifications: await count('notifications', { type: PARTY }), jobs: await count('jobs'), deliveries: await count('notification_deliveries') }).to.deep.equal(before)
  })

  it("tells each open page its bell is stale instead of rendering ten thousand bells, and the page's bell then reads its own count", async () => {
    const viewer = await host.signedIn()
    const stream = await SseClient.open(host.url, { Cookie: viewer.client.cookieHeader() })
    try {
      await emit(admin.client, 'party.announced', { title: 'Brazil' })
      await stream.waitFor('the stale-bell event', (t) => t.includes('event: notifications-bell-stale'), 60_000)
      await settled(host, 240_000)
      expect(stream.text, 'no bell rendered for this person').to.not.include('hx-target="#notifications-bell-count"')
      const bell = await viewer.client.get('/notifications/bell', { headers: { 'HX-Request': 'true', 'HX-Request-Type': 'partial' } })
      expect(bell.status).to.equal(200)
      expect(bell.text).to.include('<hx-partial hx-target="#notifications-bell-count" hx-swap="innerHTML">1</hx-partial>')
      expect(bell.text).to.include('Watch party')
    } finally {
      await stream.close()
    }
  })
})
