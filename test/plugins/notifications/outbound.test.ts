import crypto from 'node:crypto'
import { expect, startFakeReceiver, waitFor, type FakeReceiver, type TestHost, type TestClient } from 'medianest/testing'
import { emit, notificationsHost, settled } from './harness.ts'

describe('notifications: outbound channels (signed webhook, Discord, ntfy) with retries', function () {
  this.timeout(120_000)
  let host: TestHost
  let hook: FakeReceiver
  let discord: FakeReceiver
  let ntfy: FakeReceiver
  let admin: { client: TestClient; user: { id: string } }
  let erin: { client: TestClient; user: { id: string } }
  const SECRET = 'whsec_test_1234567890'

  before(async () => {
    ;[hook, discord, ntfy] = await Promise.all([startFakeReceiver('webhook'), startFakeReceiver('discord'), startFakeReceiver('ntfy')])
    host = await notificationsHost({ deliveryAttempts: 2, deliveryTimeoutMs: 1000, publicUrl: 'https://media.example.com' })
    admin = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    erin = await host.signedIn()
  })
  after(async () => { await host?.stop(); await Promise.all([hook, discord, ntfy].map((r) => r?.close())) })

  const addChannel = async (form: Record<string, string>) => {
    const res = await admin.client.post('/admin/notifications/channels', form)
    expect(res.status, res.text.slice(0, 400)).to.equal(303)
    return host.db('notification_channels').where({ name: form.name }).first()
  }

  it('refuses a non-http(s) address and a webhook without a secret (422 beside the field, nothing saved)', async () => {
    const before = (await host.db('notification_channels')).length
    const ftp = await admin.client.post('/admin/notifications/channels', { kind: 'webhook', name: 'x', url: 'file:///etc/passwd', secret: 's' }, { htmx: true })
    expect(ftp.status).to.equal(422)
    expect(ftp.text).to.include('Use an http:// or https:// address.').and.include('autofocus')
    const unsigned = await admin.client.post('/admin/notifications/channels', { kind: 'webhook', name: 'x', url: hook.url })
    expect(unsigned.status).to.equal(422)
    expect(unsigned.text).to.include('A webhook needs a signing secret')
    expect((await host.db('notification_channels')).length).to.equal(before)
  })

  it('stores the address and secret sealed, and shows only the host', async () => {
    const c = await addChannel({ kind: 'webhook', name: 'Hook', url: `${hook.url}/in?x=1`, secret: SECRET })
    expect(c.url_sealed).to.not.include('127.0.0.1')
    expect(c.secret_sealed).to.not.include(SECRET)
    const page = await admin.client.get('/admin/notifications')
    expect(page.text).to.include(`${new URL(hook.url).origin}/…`).and.not.include(SECRET).and.not.include('/in?x=1')
  })

  it('delivers a fact once to the webhook with a valid signature over "<timestamp>.<body>"', async () => {
    await emit(erin.client, 'incident.opened', { title: 'Plex' })
    await settled(host)
    const posts = hook.posts()
    expect(posts).to.have.length(1)
    const p = posts[0]
    expect(p.path).to.equal('/in')
    const ts = String(p.headers['x-medianest-timestamp'])
    expect(Math.abs(Number(ts) - Date.now() / 1000)).to.be.lessThan(300)
    const expected = `sha256=${crypto.createHmac('sha256', SECRET).update(`${ts}.${p.body}`).digest('hex')}`
    expect(p.headers['x-medianest-signature']).to.equal(expected)
    expect(p.json).to.include({ type: 'notify-fixture.incident.opened', title: 'Plex is down', link: 'https://status.example.com/incident', test: false })
    // One admin got the notification; the site channel posts the fact once.
    expect(await host.db('notification_deliveries').where({ status: 'sent' })).to.have.length(1)
  })

  it('retries after a 500 and then succeeds', async () => {
    hook.failNext(1, 500)
    await emit(erin.client, 'incident.opened', { title: 'Sonarr' })
    await waitFor('the delivery row to say sent', async () => (await host.db('notification_deliveries').where({ status: 'sent' })).length === 2, 20_000)
    // The same signed message twice: refused with 500 once, then taken.
    expect(hook.posts().filter((p) => p.json.title === 'Sonarr is down')).to.have.length(2)
    // A site channel's delivery carries its own message (it belongs to nobody's inbox row).
    const row = await host.db('notification_deliveries').whereNull('notification_id').whereRaw(`message ->> 'title' = ?`, ['Sonarr is down']).first()
    expect(row).to.include({ status: 'sent', attempts: 2 })
  })

  it('marks the delivery failed with the last error after the attempts, shown on the admin page; the inbox is unaffected', async () => {
    hook.failNext(10, 503)
    await emit(erin.client, 'incident.opened', { title: 'Radarr' })
    const failed = await waitFor('the delivery to fail', async () => host.db('notification_deliveries').where({ status: 'failed' }).first(), 20_000)
    expect(failed.attempts).to.equal(2)
    expect(failed.last_error).to.include('503')
    expect(await host.db('notifications').where({ title: 'Radarr is down' })).to.have.length(1)
    const page = await admin.client.get('/admin/notifications')
    expect(page.text).to.include('Deliveries with problems').and.include('Radarr is down').and.include('Failed')
    hook.failNext(0, 500)
  })

  it('marks a delivery failed when its job dies past its last attempt (onFailed), not queued forever', async () => {
    await emit(erin.client, 'incident.opened', { title: 'Sonarr' })
    const sent: { id: string } = await waitFor('the delivery', async () => host.db('notification_deliveries')
      .whereRaw(`message ->> 'title' = ?`, ['Sonarr is down']).where('status', 'sent').first(), 20_000)
    // Between attempts, with the process of its last attempt dead: the delivery queued, its
    // job running with no attempts left and its lease run out.
    await host.db('notification_deliveries').where({ id: sent.id }).update({ status: 'queued' })
    const [job] = await host.db('jobs').insert({
      name: 'notifications.deliver', payload: JSON.stringify({ deliveryId: sent.id }), status: 'running', attempts: 2, max_attempts: 2,
      lease_owner: 'a-dead-process', lease_expires_at: host.db.raw(`now() - interval '1 second'`), fence: 1,
    }).returning('*')
    const failed = await waitFor('the delivery to be failed', async () => {
      const d = await host.db('notification_deliveries').where({ id: sent.id }).first()
      return d.status === 'failed' && d
    }, 20_000)
    expect(failed.last_error).to.equal('the worker a-dead-process lost its lease during attempt 2 (it crashed or stopped responding)')
    expect((await host.db('jobs').where({ id: job.id }).first()).status).to.equal('failed')
    expect((await admin.client.get('/admin/notifications')).text).to.include('Sonarr is down')
  })

  it('an unreachable target fails in words and does not block other channels', async () => {
    const dead = await startFakeReceiver('webhook')
    const url = dead.url
    await dead.close()
    await addChannel({ kind: 'webhook', name: 'Dead', url, secret: 's' })
    const id = (await host.db('notification_channels').where({ name: 'Dead' }).first()).id
    // Without JavaScript: back to the page (a reload sends nothing again), the result beside the channel.
    const test = await admin.client.post(`/admin/notifications/channels/${id}/test`)
    expect(test.status).to.equal(303)
    expect(test.location).to.equal(`/admin/notifications#notifications-channel-${id}`)
    const page = await admin.client.get('/admin/notifications')
    expect(page.text).to.include('Test done: its result is beside the channel.')
    expect(page.text).to.match(/Last test \(<time datetime="[^"]+" data-style="datetime">[^<]+<\/time>\): failed\. The test to “Dead” failed: .*refused the connection/)
    await host.db('notification_channels').where({ name: 'Dead' }).del()
  })

  it('posts Discord content + embed with no mentions, and ntfy title/priority/tags/click with a Bearer token', async () => {
    await host.db('notification_channels').where({ name: 'Hook' }).update({ enabled: false })
    await addChannel({ kind: 'discord', name: 'Discord', url: `${discord.url}/api/webhooks/123/tok-en` })
    // A failing Send test names the host, never the webhook's token.
    discord.failNext(1, 500)
    const failed = await admin.client.post(`/admin/notifications/channels/${(await host.db('notification_channels').where({ name: 'Discord' }).first()).id}/test`, {}, { htmx: true })
    expect(failed.text).to.include('failed. The test to “Discord” failed').and.include('[redacted]').and.not.include('tok-en')
    discord.requests.length = 0
    await addChannel({ kind: 'ntfy', name: 'Ntfy', url: `${ntfy.url}/medianest`, secret: 'tk_admin', priority: '5', tags: 'warning,plex' })
    await emit(erin.client, 'request.approved', { userId: erin.user.id, title: '@everyone <b>Dune</b>', id: 9 })
    await settled(host)
    const d = discord.posts()
    expect(d).to.have.length(1)
    expect(d[0].path).to.equal('/api/webhooks/123/tok-en')
    expect(d[0].json).to.deep.equal({
      content: 'Approved: @everyone <b>Dune</b>',
      embeds: [{ title: 'Approved: @everyone <b>Dune</b>', description: 'Your request for @everyone <b>Dune</b> was approved.', url: 'https://media.example.com/notify-fixture/requests/9', timestamp: d[0].json.embeds && (d[0].json.embeds as Array<{ timestamp: string }>)[0].timestamp }],
      allowed_mentions: { parse: [] },
    })
    const n = ntfy.posts()
    expect(n).to.have.length(1)
    expect(n[0].path).to.equal('/')
    expect(n[0].headers.authorization).to.equal('Bearer tk_admin')
    expect(n[0].json).to.deep.equal({ topic: 'medianest', title: 'Approved: @everyone <b>Dune</b>', message: 'Your request for @everyone <b>Dune</b> was approved.', priority: 5, tags: ['warning', 'plex'], click: 'https://media.example.com/notify-fixture/requests/9' })
  })

  it('"Send test" posts a test message to one channel and says so', async () => {
    const c = await host.db('notification_channels').where({ name: 'Ntfy' }).first()
    const res = await admin.client.post(`/admin/notifications/channels/${c.id}/test`, {}, { htmx: true })
    expect(res.status).to.equal(200)
    expect(res.text).to.match(/<p class="alert alert-ok" role="status" tabindex="-1" autofocus>Last test \([^)]+\): sent\. Sent a test message to “Ntfy”\.<\/p>/)
    expect(ntfy.posts().at(-1)!.json.title).to.equal('MediaNest test notification')
  })

  it('a person cannot add, test or remove site channels', async () => {
    const c = await host.db('notification_channels').where({ name: 'Ntfy' }).first()
    const posts = ntfy.posts().length
    expect((await erin.client.post(`/admin/notifications/channels/${c.id}/test`)).status).to.be.oneOf([403, 404])
    expect((await erin.client.post(`/admin/notifications/channels/${c.id}/delete`)).status).to.be.oneOf([403, 404])
    expect((await erin.client.post('/admin/notifications/channels', { kind: 'webhook', name: 'mine', url: hook.url, secret: 's' })).status).to.be.oneOf([403, 404])
    expect(ntfy.posts().length).to.equal(posts)
    expect(await host.db('notification_channels').where({ name: 'mine' }).first()).to.equal(undefined)
  })
})
