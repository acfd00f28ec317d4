// Site channels decide for themselves (issue 34, part 1): a site channel posts every fact
// it chose exactly once, whatever anyone chose for their own inbox; personal choices
// decide only the person's inbox and own targets. Filters by event type, plugin and
// severity; the admin's form refuses nonsense beside the field; today's behaviour is
// migrated into each channel's explicit choice.
import { expect, startFakeReceiver, type FakeReceiver, type TestHost, type TestClient } from 'medianest/testing'
import { emit, notificationsHost, settled } from './harness.ts'
import { takeFact } from '../../../plugins/notifications/fact-intake.ts'
import { migrateSiteChoices } from '../../../plugins/notifications/migrations/202612081200_site_channels_choose.ts'
import type { NotificationsContext } from '../../../plugins/notifications/plugin-config.ts'

describe('notifications: site channels choose their own facts', function () {
  this.timeout(120_000)
  let host: TestHost
  let hook: FakeReceiver
  let admin: { client: TestClient; user: { id: string } }
  let bob: { client: TestClient; user: { id: string } }
  let carol: { client: TestClient; user: { id: string } }
  let channelId: string

  before(async () => {
    hook = await startFakeReceiver('webhook')
    host = await notificationsHost({ deliveryAttempts: 2, deliveryTimeoutMs: 2000 })
    admin = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    bob = await host.signedIn()
    carol = await host.signedIn()
    const res = await admin.client.post('/admin/notifications/channels', { kind: 'webhook', name: 'Admins Discord', url: hook.url, secret: 'whsec_site_123456' })
    expect(res.status).to.equal(303)
    channelId = (await host.db('notification_channels').where({ name: 'Admins Discord' }).first()).id
  })
  after(async () => { await host?.stop(); await hook?.close() })
  beforeEach(() => { hook.requests.length = 0 })

  const titles = () => hook.posts().map((p) => p.json.title).sort()
  const choose = (fields: Array<[string, string]>, htmx = false) => admin.client.post(`/admin/notifications/channels/${channelId}`, fields, htmx ? { htmx: true } : {})

  it("posts both approvals although bob turned that type off for himself (personal choices decide only the inbox)", async () => {
    const page = await bob.client.get('/notifications/preferences')
    const all = [...page.text.matchAll(/name="inApp" value="([^"]+)"/g)].map((m) => m[1])
    expect(all).to.include('notify-fixture.request.approved')
    await bob.client.post('/notifications/preferences', [
      ...all.filter((e) => e !== 'notify-fixture.request.approved').map((e): [string, string] => ['inApp', e]),
      ...all.map((e): [string, string] => ['outbound', e]),
    ])
    await emit(admin.client, 'request.approved', { userId: bob.user.id, title: "Bob's film", id: 1 })
    await emit(admin.client, 'request.approved', { userId: carol.user.id, title: "Carol's film", id: 2 })
    await settled(host)
    expect(titles()).to.deep.equal(["Approved: Bob's film", "Approved: Carol's film"])
    expect(await host.db('notifications').where({ user_id: bob.user.id, type: 'notify-fixture.request.approved' })).to.have.length(0)
    expect(await host.db('notifications').where({ user_id: carol.user.id, type: 'notify-fixture.request.approved' })).to.have.length(1)
  })

  it('posts a fact once however often its delivery runs', async () => {
    const ctx = host.app.host.plugins.find((p) => p.name === 'notifications')!.ctx as NotificationsContext
    const payload = { title: 'Twice', userId: carol.user.id, id: 3 }
    await takeFact(ctx, 'notify-fixture.request.approved', payload, 'the-same-event-id')
    await takeFact(ctx, 'notify-fixture.request.approved', payload, 'the-same-event-id')
    await settled(host)
    expect(titles()).to.deep.equal(['Approved: Twice'])
  })

  it('takes only the event types, plugin and severity its admin chose', async () => {
    const only = await choose([['events', 'notify-fixture.incident.opened'], ['minSeverity', 'high']])
    expect(only.status).to.equal(303)
    expect((await admin.client.get('/admin/notifications')).text).to.include('Posts: 1 event type (Service down), severity high and above when it has one.')
    await emit(admin.client, 'request.approved', { userId: carol.user.id, title: 'Not chosen', id: 4 })
    await emit(admin.client, 'incident.opened', { title: 'Minor', severity: 'low' })
    await emit(admin.client, 'incident.opened', { title: 'Major', severity: 'critical' })
    await emit(admin.client, 'incident.opened', { title: 'Ungraded' })
    await settled(host)
    expect(titles()).to.deep.equal(['Major is down', 'Ungraded is down'])

    // Every type but one, only the core's: the fixture's facts are not the core's.
    hook.requests.length = 0
    const form = await admin.client.get(`/admin/notifications/channels/${channelId}`)
    const all = [...form.text.matchAll(/name="events" value="([^"]+)"/g)].map((m) => m[1])
    expect((await choose([['all', '1'], ...all.filter((e) => e !== 'notify-fixture.party.announced').map((e): [string, string] => ['events', e])])).status).to.equal(303)
    await emit(admin.client, 'party.announced', { title: 'Left out' })
    await emit(admin.client, 'incident.opened', { title: 'Everything else' })
    await settled(host)
    expect(titles()).to.deep.equal(['Everything else is down'])
    const saved = (await host.db('notification_channels').where({ id: channelId }).first()).settings
    expect(saved).to.deep.equal({ events: ['*'], except: ['notify-fixture.party.announced'] })
    expect((await choose([['all', '1'], ...all.map((e): [string, string] => ['events', e]), ['plugin', 'core']])).status).to.equal(303)
    await emit(admin.client, 'incident.opened', { title: 'Not the core' })
    await settled(host)
    expect(titles()).to.deep.equal(['Everything else is down'])
    await choose([['all', '1'], ...all.map((e): [string, string] => ['events', e])])
  })

  it('refuses a choice of nothing, an unknown type or plugin beside its field, and keeps the old choice', async () => {
    const before = (await host.db('notification_channels').where({ id: channelId }).first()).settings
    const none = await choose([], true)
    expect(none.status).to.equal(422)
    expect(none.text).to.match(/id="notifications-choice-events-error">Tick at least one event type/)
    expect(none.text).to.match(/name="events" value="[^"]+" aria-invalid="true" autofocus/)
    const unknown = await choose([['events', 'nobody.thing.happened']])
    expect(unknown.status).to.equal(422)
    expect(unknown.text).to.include('&quot;nobody.thing.happened&quot; is not an event type here')
    const plugin = await choose([['all', '1'], ['plugin', 'evil']])
    expect(plugin.status).to.equal(422)
    expect(plugin.text).to.include('id="notifications-choice-plugin-error">Choose a plugin from the list.<')
    expect((await host.db('notification_channels').where({ id: channelId }).first()).settings).to.deep.equal(before)
    expect((await bob.client.post(`/admin/notifications/channels/${channelId}`, [['all', '1']])).status).to.be.oneOf([403, 404])
  })

  it("migrates today's behaviour: every type but those whose default outbound was off", async () => {
    await host.db('notification_defaults').insert({ event_type: 'notify-fixture.party.announced', in_app: true, outbound: false }).onConflict('event_type').merge()
    await host.db('notification_channels').where({ id: channelId }).update({ settings: JSON.stringify({}) })
    await migrateSiteChoices(host.db)
    const { settings } = await host.db('notification_channels').where({ id: channelId }).first()
    expect(settings).to.deep.equal({ events: ['*'], except: ['notify-fixture.party.announced'] })
    // A channel that has its choice already is left alone.
    await migrateSiteChoices(host.db)
    expect((await host.db('notification_channels').where({ id: channelId }).first()).settings).to.deep.equal(settings)
  })
})
