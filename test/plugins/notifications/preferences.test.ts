import { expect, startFakeReceiver, type FakeReceiver, type TestHost, type TestClient } from 'medianest/testing'
import { emit, notificationsHost, settled } from './harness.ts'

describe('notifications: preferences per person and event type, defaults by admins', function () {
  this.timeout(120_000)
  let host: TestHost
  let ntfy: FakeReceiver
  let admin: { client: TestClient; user: { id: string } }
  let carol: { client: TestClient; user: { id: string } }
  let dave: { client: TestClient; user: { id: string } }

  before(async () => {
    ntfy = await startFakeReceiver('ntfy')
    host = await notificationsHost({ userTargetHosts: { discord: [], ntfy: ['127.0.0.1'] } })
    admin = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    carol = await host.signedIn()
    dave = await host.signedIn()
  })
  after(async () => { await host?.stop(); await ntfy?.close() })

  it('lists the event types a person can get, labelled in words, the community plugin\'s and the core\'s included', async () => {
    const page = await carol.client.get('/notifications/preferences')
    expect(page.status).to.equal(200)
    for (const e of ['notify-fixture.party.announced', 'notify-fixture.request.approved']) expect(page.text).to.include(`value="${e}"`)
    expect(page.text).to.include('Request approved <small class="muted">(notify-fixture, when it is about you)</small>')
    // Admins only: not hers to choose, and not shown (nor accepted from her).
    for (const e of ['notify-fixture.incident.opened', 'core.user.created']) expect(page.text).to.not.include(`value="${e}"`)
    expect((await carol.client.post('/notifications/preferences', { inApp: 'notify-fixture.incident.opened' })).status).to.equal(422)
    const adminPage = await admin.client.get('/notifications/preferences')
    for (const e of ['notify-fixture.incident.opened', 'core.user.created']) expect(adminPage.text).to.include(`value="${e}"`)
  })

  it('in-app off: no row for that person; others still get theirs', async () => {
    // Carol keeps everything except the watch party in the app.
    const page = await carol.client.get('/notifications/preferences')
    const all = [...page.text.matchAll(/name="inApp" value="([^"]+)"/g)].map((m) => m[1])
    const res = await carol.client.post('/notifications/preferences', [
      ...all.filter((e) => e !== 'notify-fixture.party.announced').map((e): [string, string] => ['inApp', e]),
      ...all.map((e): [string, string] => ['outbound', e]),
    ])
    expect(res.status).to.equal(303)
    await emit(carol.client, 'party.announced', { title: 'Heat' })
    await settled(host)
    const rows = await host.db('notifications').where({ type: 'notify-fixture.party.announced' })
    expect(rows.map((r) => r.user_id)).to.include(dave.user.id).and.include(admin.user.id).and.not.include(carol.user.id)
  })

  it('refuses an unknown event type with 422 and saves nothing', async () => {
    const before = await host.db('notification_preferences').where({ user_id: dave.user.id })
    const res = await dave.client.post('/notifications/preferences', { inApp: 'nobody.thing.happened' })
    expect(res.status).to.equal(422)
    expect(await host.db('notification_preferences').where({ user_id: dave.user.id })).to.deep.equal(before)
  })

  it("an admin's default applies to people who have not chosen; a person's own choice wins", async () => {
    const page = await admin.client.get('/admin/notifications')
    expect(page.status).to.equal(200)
    const all = [...page.text.matchAll(/name="inApp" value="([^"]+)"/g)].map((m) => m[1])
    const res = await admin.client.post('/admin/notifications/defaults', [
      ...all.filter((e) => e !== 'notify-fixture.request.approved').map((e): [string, string] => ['inApp', e]),
      ...all.map((e): [string, string] => ['outbound', e]),
    ])
    expect(res.status).to.equal(303)
    await emit(dave.client, 'request.approved', { userId: dave.user.id, title: 'Off by default', id: 1 })
    // Carol saved her own choices (request.approved in-app on) before the default changed.
    await emit(carol.client, 'request.approved', { userId: carol.user.id, title: 'Own choice', id: 2 })
    await settled(host)
    expect(await host.db('notifications').where({ user_id: dave.user.id, type: 'notify-fixture.request.approved' })).to.have.length(0)
    expect(await host.db('notifications').where({ user_id: carol.user.id, type: 'notify-fixture.request.approved' })).to.have.length(1)
  })

  it('a person may not reach the admin page or change the defaults', async () => {
    expect((await dave.client.get('/admin/notifications')).status).to.be.oneOf([403, 404])
    const before = await host.db('notification_defaults')
    const res = await dave.client.post('/admin/notifications/defaults', { inApp: 'notify-fixture.party.announced' })
    expect(res.status).to.be.oneOf([403, 404])
    expect(await host.db('notification_defaults')).to.deep.equal(before)
  })

  it('outbound on sends to the person\'s own target; outbound off sends nothing', async () => {
    const add = await dave.client.post('/notifications/preferences/channels', { kind: 'ntfy', name: 'Phone', url: `${ntfy.url}/dave-topic`, secret: 'tk_dave', priority: '4', tags: 'film, plex' })
    expect(add.status).to.equal(303)
    await emit(dave.client, 'party.announced', { title: 'Outbound on' })
    await settled(host)
    expect(ntfy.posts().map((p) => p.json.message)).to.deep.equal(['Tonight: Outbound on'])
    const page = await dave.client.get('/notifications/preferences')
    const all = [...page.text.matchAll(/name="inApp" value="([^"]+)"/g)].map((m) => m[1])
    await dave.client.post('/notifications/preferences', [
      ...all.map((e): [string, string] => ['inApp', e]),
      ...all.filter((e) => e !== 'notify-fixture.party.announced').map((e): [string, string] => ['outbound', e]),
    ])
    await emit(dave.client, 'party.announced', { title: 'Outbound off' })
    await settled(host)
    expect(await host.db('notifications').where({ user_id: dave.user.id, message: 'Tonight: Outbound off' })).to.have.length(1)
    expect(ntfy.posts()).to.have.length(1)
  })

  it("refuses a person's target outside the allowed hosts, a webhook, and past the cap (422, nothing saved)", async () => {
    const count = async () => (await host.db('notification_channels').where({ owner_user_id: carol.user.id })).length
    const before = await count()
    const elsewhere = await carol.client.post('/notifications/preferences/channels', { kind: 'ntfy', name: 'x', url: 'http://10.0.0.1/topic' })
    expect(elsewhere.status).to.equal(422)
    expect(elsewhere.text).to.include('Use an address on 127.0.0.1')
    const webhook = await carol.client.post('/notifications/preferences/channels', { kind: 'webhook', name: 'x', url: `${ntfy.url}/t`, secret: 's' })
    expect(webhook.status).to.equal(422)
    const scheme = await carol.client.post('/notifications/preferences/channels', { kind: 'ntfy', name: 'x', url: 'ftp://127.0.0.1/t' }, { htmx: true })
    expect(scheme.status).to.equal(422)
    expect(scheme.text).to.include('Use an http:// or https:// address.').and.include('aria-invalid="true"')
    expect(await count()).to.equal(before)
    for (let i = 0; i < 3; i++) expect((await carol.client.post('/notifications/preferences/channels', { kind: 'ntfy', name: `n${i}`, url: `${ntfy.url}/c${i}` })).status).to.equal(303)
    const over = await carol.client.post('/notifications/preferences/channels', { kind: 'ntfy', name: 'n4', url: `${ntfy.url}/c4` })
    expect(over.status).to.equal(422)
    expect(await count()).to.equal(3)
  })

  it("another person's target: 404 for test and delete, nothing changes", async () => {
    const channel = await host.db('notification_channels').where({ owner_user_id: dave.user.id }).first()
    expect((await carol.client.post(`/notifications/preferences/channels/${channel.id}/delete`)).status).to.equal(404)
    const posts = ntfy.posts().length
    expect((await carol.client.post(`/notifications/preferences/channels/${channel.id}/test`)).status).to.equal(404)
    expect(ntfy.posts().length).to.equal(posts)
    expect(await host.db('notification_channels').where({ id: channel.id }).first()).to.not.equal(undefined)
  })
})
