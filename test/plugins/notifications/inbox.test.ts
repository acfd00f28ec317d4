import { expect, waitFor, type TestHost, type TestClient } from 'medianest/testing'
import { emit, notificationsHost, rowsOf, settled } from './harness.ts'

describe('notifications: facts become inbox rows for exactly the right people', function () {
  this.timeout(120_000)
  let host: TestHost
  let admin1: { client: TestClient; user: { id: string } }
  let admin2: { client: TestClient; user: { id: string } }
  let alice: { client: TestClient; user: { id: string } }
  let bob: { client: TestClient; user: { id: string } }
  let suspendedId: string

  before(async () => {
    host = await notificationsHost({ pageSize: 5, retentionEvery: '1s' })
    admin1 = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    admin2 = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    alice = await host.signedIn()
    bob = await host.signedIn()
    suspendedId = (await host.createUser({ status: 'suspended' } as never)).id
  })
  after(async () => { await host?.stop() })

  it('a request approved reaches only its subject, with title, message and link', async () => {
    await emit(alice.client, 'request.approved', { userId: alice.user.id, title: 'Dune', id: 42 })
    await settled(host)
    const rows = await rowsOf(host, 'notify-fixture.request.approved')
    expect(rows.map((r) => r.user_id)).to.deep.equal([alice.user.id])
    expect(rows[0]).to.include({ title: 'Approved: Dune', message: 'Your request for Dune was approved.', read: false })
    expect(rows[0].metadata).to.deep.equal({ link: '/notify-fixture/requests/42', plugin: 'notify-fixture' })
  })

  it('a download completed reaches its subject, and a javascript: link is dropped', async () => {
    await emit(bob.client, 'download.completed', { userId: bob.user.id, title: 'Talk' })
    await settled(host)
    const rows = await rowsOf(host, 'notify-fixture.download.completed')
    expect(rows.map((r) => r.user_id)).to.deep.equal([bob.user.id])
    expect(rows[0].metadata).to.deep.equal({ plugin: 'notify-fixture' })
  })

  it('a subject that is not a user (or not a UUID) makes no row', async () => {
    await emit(bob.client, 'request.approved', { userId: 'not-a-uuid', title: 'X', id: 1 })
    await emit(bob.client, 'request.approved', { userId: suspendedId, title: 'Y', id: 2 })
    await settled(host)
    expect(await rowsOf(host, 'notify-fixture.request.approved')).to.have.length(1)
  })

  it('an incident and a new pending request reach every active admin and nobody else', async () => {
    await emit(alice.client, 'incident.opened', { title: 'Plex' })
    await emit(alice.client, 'request.created', { title: 'Alien', userId: alice.user.id })
    await settled(host)
    for (const type of ['notify-fixture.incident.opened', 'notify-fixture.request.created']) {
      const rows = await rowsOf(host, type)
      expect(rows.map((r) => r.user_id).sort()).to.deep.equal([admin1.user.id, admin2.user.id].sort())
    }
    const incident = (await rowsOf(host, 'notify-fixture.incident.opened'))[0]
    expect(incident.metadata.link).to.equal('https://status.example.com/incident')
  })

  it("a community plugin's own event type (audience everyone) reaches every active user", async () => {
    await emit(alice.client, 'party.announced', { title: '<b>Alien</b> & friends' })
    await settled(host)
    const rows = await rowsOf(host, 'notify-fixture.party.announced')
    expect(rows.map((r) => r.user_id).sort()).to.deep.equal([admin1.user.id, admin2.user.id, alice.user.id, bob.user.id].sort())
  })

  it('a describe that throws skips that notification only; the next event still arrives', async () => {
    await emit(alice.client, 'thing.broken', {})
    await emit(alice.client, 'request.approved', { userId: bob.user.id, title: 'After', id: 7 })
    await settled(host)
    expect(await rowsOf(host, 'notify-fixture.thing.broken')).to.have.length(0)
    const after = await host.db('notifications').where({ user_id: bob.user.id, title: 'Approved: After' })
    expect(after).to.have.length(1)
  })

  it('one fact delivered twice makes one row per person', async () => {
    await emit(alice.client, 'incident.opened', { title: 'Overseerr' })
    await settled(host)
    const before = await host.db('notifications').where({ title: 'Overseerr is down' })
    expect(before).to.have.length(2)
    // The core's delivery job runs again (as after a lost lease): same fact, same rows.
    const jobs = await host.db('jobs').where({ name: 'core.event-delivery' }).whereRaw("payload->>'event' = ?", ['notify-fixture.incident.opened']).whereRaw("payload->'payload'->>'title' = ?", ['Overseerr'])
    expect(jobs).to.have.length(1)
    await host.db('jobs').where({ id: jobs[0].id }).update({ status: 'queued', run_at: host.db.fn.now(), lease_owner: null, lease_expires_at: null })
    await waitFor('the delivery to run again', async () => (await host.db('jobs').where({ id: jobs[0].id }).first()).status === 'succeeded')
    expect(await host.db('notifications').where({ title: 'Overseerr is down' })).to.have.length(2)
  })

  it('titles with HTML are escaped on the inbox page and in the bell', async () => {
    const page = await alice.client.get('/notifications')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('Tonight: &lt;b&gt;Alien&lt;/b&gt; &amp; friends').and.not.include('<b>Alien</b>')
  })

  it('the nav shows the unread count as of page load, and the latest five as a fragment', async () => {
    const unread = (await host.db('notifications').where({ user_id: admin1.user.id, read: false }).count('* as n'))[0].n
    const page = await admin1.client.get('/')
    // An indicator beside the person's menu (place 'indicator'): the bell, its count, what it is.
    expect(page.text).to.match(/<div id="notifications-nav-bell" class="nav-rendered indicator">\s*<details class="nav-menu indicator-menu notifications-bell-menu">/)
    expect(page.text).to.match(new RegExp(`<span class="visually-hidden">Notifications:</span>\\s*<span class="badge"><span id="notifications-bell-count">${Number(unread)}</span><span class="visually-hidden"> unread</span>`))
    const latest = await admin1.client.get('/notifications/latest', { htmx: true })
    expect(latest.status).to.equal(200)
    expect(latest.text).to.not.include('<html')
    expect((latest.text.match(/<li>/g) ?? []).length).to.equal(Math.min(5, Number(unread)))
  })

  it('lists newest first in pages of the configured size, and filters unread', async () => {
    // alice has request.approved + party; add six more of her own.
    // One at a time: deliveries run concurrently, and the order under test is the rows' own.
    for (let i = 0; i < 6; i++) {
      await emit(alice.client, 'request.approved', { userId: alice.user.id, title: `Film ${i}`, id: 100 + i })
      await settled(host)
    }
    const first = await alice.client.get('/notifications')
    const titles = (t: string) => [...t.matchAll(/<h2>([^<]+) <span class="badge/g)].map((m) => m[1])
    expect(titles(first.text)).to.deep.equal(['Approved: Film 5', 'Approved: Film 4', 'Approved: Film 3', 'Approved: Film 2', 'Approved: Film 1'])
    const older = /href="(\/notifications\?filter=all&amp;before=[^"]+)"/.exec(first.text)![1].replace(/&amp;/g, '&')
    const second = await alice.client.get(older)
    expect(titles(second.text)).to.deep.equal(['Approved: Film 0', 'Watch party', 'Approved: Dune'])
    expect(second.text).to.not.include('>Older<')
    const bad = await alice.client.get('/notifications?before=%3Cscript%3E')
    expect(bad.status).to.equal(422)
  })

  it('marks one read (read_at set), and the unread filter leaves it out', async () => {
    const row = await host.db('notifications').where({ user_id: alice.user.id, title: 'Approved: Film 5' }).first()
    const res = await alice.client.post(`/notifications/${row.id}/read`)
    expect(res.status).to.equal(303)
    const after = await host.db('notifications').where({ id: row.id }).first()
    expect(after.read).to.equal(true)
    expect(after.read_at).to.be.an.instanceOf(Date)
    const unread = await alice.client.get('/notifications?filter=unread')
    const list = unread.text.slice(unread.text.indexOf('id="notifications-list"'))
    expect(list).to.include('Approved: Film 3').and.not.include('Approved: Film 5')
    const fragment = await alice.client.post(`/notifications/${(await host.db('notifications').where({ user_id: alice.user.id, title: 'Approved: Film 4' }).first()).id}/read`, {}, { htmx: true })
    expect(fragment.status).to.equal(200)
    expect(fragment.text).to.include('>Read</span>').and.not.include('<html')
  })

  it("refuses another person's notification with 404 and changes nothing (read, delete)", async () => {
    const row = await host.db('notifications').where({ user_id: alice.user.id, read: false }).first()
    expect((await bob.client.post(`/notifications/${row.id}/read`)).status).to.equal(404)
    expect((await bob.client.post(`/notifications/${row.id}/delete`)).status).to.equal(404)
    expect((await bob.client.post('/notifications/not-a-uuid/delete')).status).to.equal(404)
    expect(await host.db('notifications').where({ id: row.id }).first()).to.include({ read: false })
    const anonymous = host.client()
    await anonymous.get('/login')
    const anon = await anonymous.post(`/notifications/${row.id}/delete`)
    expect(anon.status).to.be.oneOf([303, 401, 403])
    expect(await host.db('notifications').where({ id: row.id }).first()).to.not.equal(undefined)
  })

  it('deletes one, then marks all read, and the bell count follows', async () => {
    const row = await host.db('notifications').where({ user_id: alice.user.id }).first()
    expect((await alice.client.post(`/notifications/${row.id}/delete`)).status).to.equal(303)
    expect(await host.db('notifications').where({ id: row.id }).first()).to.equal(undefined)
    expect((await alice.client.post('/notifications/read-all')).status).to.equal(303)
    expect(await host.db('notifications').where({ user_id: alice.user.id, read: false })).to.have.length(0)
    expect((await host.db('notifications').where({ user_id: bob.user.id, read: false })).length).to.be.greaterThan(0)
    const page = await alice.client.get('/notifications')
    expect(page.text).to.include('Every notification is marked read.')
    expect(page.text).to.include('id="notifications-bell-count">0<')
  })

  it('the retention schedule deletes read notifications older than the limit, and keeps unread ones', async () => {
    const old = new Date(Date.now() - 91 * 86_400_000)
    const base = { user_id: bob.user.id, type: 'notify-fixture.request.approved', title: 't', message: 'm' }
    const [oldRead] = await host.db('notifications').insert({ ...base, fact_key: 'old-read', read: true, read_at: old, created_at: old }).returning('id')
    const [oldUnread] = await host.db('notifications').insert({ ...base, fact_key: 'old-unread', read: false, created_at: old }).returning('id')
    const [recentRead] = await host.db('notifications').insert({ ...base, fact_key: 'recent-read', read: true, read_at: new Date() }).returning('id')
    await waitFor('the retention schedule', async () => !(await host.db('notifications').where({ id: oldRead.id }).first()), 15_000)
    expect(await host.db('notifications').where({ id: oldUnread.id }).first()).to.not.equal(undefined)
    expect(await host.db('notifications').where({ id: recentRead.id }).first()).to.not.equal(undefined)
  })

  it('writes when each came in the reader\'s own zone (New York), in <time datetime>', async () => {
    // Last: a person added here would be one more "every active user" for the tests above.
    const reader = await host.signedIn(await host.createUser({ time_zone: 'America/New_York' }))
    await host.db('notifications').insert({
      user_id: reader.user.id, type: 'notify-fixture.zoned', title: 'Zoned', message: 'At noon in New York.', read: false,
      metadata: JSON.stringify({}), fact_key: 'zoned-test', created_at: new Date('2026-07-04T16:05:00Z'),
    })
    // Unread only: a query of its own (the first page as it opens was cached when the person signed in).
    expect((await reader.client.get('/notifications?filter=unread')).text).to.include('<time datetime="2026-07-04T16:05:00.000Z" data-style="datetime">4 Jul 2026, 12:05 GMT-4</time>')
  })
})
