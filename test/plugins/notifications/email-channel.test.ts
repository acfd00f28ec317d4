// Email as a notification channel (issue 34, part 3): a site channel mails its list, a
// person's own channel their verified address (and nothing once it is not verified), each
// mail carries a List-Unsubscribe link that asks before it stops anything, and a summary
// channel holds its facts until its local time, across a DST change, then mails them once.
import { expect, waitFor, type TestHost, type TestClient } from 'medianest/testing'
import { clock } from '../../../core/clock.ts'
import { mailSettings, readMail, startFakeSmtp, type FakeSmtp } from '../../support/fake-smtp.ts'
import { emit, notificationsHost, settled } from './harness.ts'

describe('notifications: email channels', function () {
  this.timeout(120_000)
  let smtp: FakeSmtp
  let host: TestHost
  let admin: { client: TestClient; user: { id: string; email: string } }
  let dana: { client: TestClient; user: { id: string; email: string } }

  before(async () => {
    smtp = await startFakeSmtp()
    host = await notificationsHost({ deliveryAttempts: 2 }, {
      config: { publicUrl: 'https://media.example.com', mail: mailSettings(smtp, { perRecipientPerHour: 50 }) },
    })
    admin = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    dana = await host.signedIn()
  })
  after(async () => {
    await host?.stop()
    await smtp?.close()
  })
  afterEach(() => clock.reset())

  const channels = () => host.db('notification_channels').orderBy('created_at')
  const addSite = (form: Record<string, string>) => admin.client.post('/admin/notifications/channels', { kind: 'email', name: 'Household', ...form }, { htmx: true })
  const only = async (name: string) => {
    await host.db('notification_channels').update({ enabled: false })
    const row = await host.db('notification_channels').where({ name }).first()
    await host.db('notification_channels').where({ id: row.id }).update({ enabled: true })
    return row
  }
  const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address))
  const nextMailTo = (address: string, count: number) => waitFor(`mail ${count} to ${address}`, () => mailsTo(address)[count - 1], 30_000)
  /** Runs a cluster schedule now and waits until that run and the jobs it queued are done. */
  const runSchedule = async (id: string) => {
    await host.db('schedule_runs').where({ id }).update({ next_run_at: new Date(0), last_run_at: null })
    await waitFor(`the ${id} schedule to run`, async () => {
      const row = await host.db('schedule_runs').where({ id }).first()
      return row?.last_run_at && !row.lease_owner
    }, 30_000)
    await settled(host)
  }

  it('refuses a list with a line break, a display name or a second address in one line, beside the field, and saves nothing', async () => {
    const before = (await channels()).length
    const cases: Array<[string, string]> = [
      ['ok@example.com\r\nBcc: victim@example.com', 'bcc: victim@example.com: Give one plain address'],
      ['"Boss" <boss@example.com>', 'Give one plain address (name@example.com), without a name or a second address.'],
      ['not-an-address', '&quot;not-an-address&quot; is not an email address.'],
      ['', 'Give at least one address.'],
    ]
    for (const [addresses, words] of cases) {
      const res = await addSite({ addresses })
      expect(res.status, addresses).to.equal(422)
      expect(res.text, addresses).to.include(words).and.include('id="notifications-admin-addresses-error"')
      expect(res.text).to.match(/name="addresses"[^>]*aria-invalid="true"[^>]*autofocus/)
    }
    const zone = await addSite({ addresses: 'a@example.com', digest: 'daily', time_zone: 'Mars/Base' })
    expect(zone.status).to.equal(422)
    expect(zone.text).to.include('&quot;Mars/Base&quot; is not a time zone this server knows')
    expect((await channels()).length).to.equal(before)
  })

  it('mails each address of a site list at once, with an unsubscribe link that asks first, then takes only that address off', async () => {
    expect((await addSite({ addresses: 'Ann@Example.com\nbo@example.com, ann@example.com' })).status).to.equal(200)
    const channel = await only('Household')
    expect(channel.url_hint).to.equal('ann@example.com and 1 more')
    await emit(admin.client, 'incident.opened', { title: 'Plex' })
    await settled(host)
    const [ann, bo] = await Promise.all([nextMailTo('ann@example.com', 1), nextMailTo('bo@example.com', 1)])
    const mail = await readMail(ann)
    expect(mail.subject).to.equal('Plex is down')
    expect(mail.text).to.include('Plex is down').and.include('Sent by "Household"')
    const unsubscribe = /<(https:\/\/media\.example\.com\/notifications\/unsubscribe\/[^>]+)>/.exec(mail.header('List-Unsubscribe'))![1]
    expect(mail.text).to.include(unsubscribe)
    expect((await readMail(bo)).header('List-Unsubscribe')).to.not.equal(mail.header('List-Unsubscribe'))
    expect(await host.db('notification_deliveries').where({ channel_id: channel.id }).pluck('status')).to.deep.equal(['sent'])

    // Signed out, as from a mail client: the link asks and changes nothing; the button stops.
    const reader = host.client()
    const path = new URL(unsubscribe).pathname
    const asked = await reader.get(path)
    expect(asked.status).to.equal(200)
    expect(asked.text).to.include('Stop these emails?').and.include('“Household”')
    expect((await host.db('notification_channels').where({ id: channel.id }).first()).url_hint).to.equal('ann@example.com and 1 more')
    const stopped = await reader.post(path, {})
    expect(stopped.status).to.equal(200)
    expect(stopped.text).to.include('No more mail from “Household” goes to this address.')
    const after = await host.db('notification_channels').where({ id: channel.id }).first()
    expect([after.url_hint, after.enabled]).to.deep.equal(['bo@example.com', true])
    expect((await reader.post(path, {})).text).to.include('Already stopped')

    await emit(admin.client, 'incident.opened', { title: 'Sonarr' })
    await settled(host)
    await nextMailTo('bo@example.com', 2)
    expect(mailsTo('ann@example.com')).to.have.length(1)
  })

  it('"Send test" hands a test mail to the queue and says so beside the channel', async () => {
    const channel = await only('Household')
    const before = mailsTo('bo@example.com').length
    const res = await admin.client.post(`/admin/notifications/channels/${channel.id}/test`, {}, { htmx: true })
    expect(res.text).to.include('Handed a test mail for “Household” to the mail server’s queue')
    const mail = await readMail(await nextMailTo('bo@example.com', before + 1))
    expect(mail.subject).to.equal('MediaNest test notification')
  })

  it('offers no email without mail configured, and refuses it if posted anyway', async () => {
    const bare = await notificationsHost()
    try {
      const owner = await bare.signedIn(await bare.createUser({ role: 'ADMIN' }))
      expect((await owner.client.get('/notifications/preferences')).text).to.not.include('<option value="email"')
      const res = await owner.client.post('/admin/notifications/channels', { kind: 'email', name: 'List', addresses: 'a@example.com' }, { htmx: true })
      expect(res.status).to.equal(422)
      expect(res.text).to.include('Mail is not set up on this server')
      expect(await bare.db('notification_channels').count({ n: '*' }).first().then((r) => Number(r!.n))).to.equal(0)
    } finally {
      await bare.stop()
    }
  })

  it('gives plugins the site\'s absolute links from publicUrl alone, and whether a person proved their address (API 1.12)', async () => {
    const ctx = host.app.host.plugins.find((p) => p.name === 'notifications')!.ctx!
    expect(ctx.http.absoluteUrl('/notifications?x=1')).to.equal('https://media.example.com/notifications?x=1')
    expect(ctx.http.absoluteUrl('//evil.example/x')).to.equal(null)
    expect(ctx.http.absoluteUrl('https://evil.example/x')).to.equal(null)
    await host.db('users').where({ id: dana.user.id }).update({ email_verified: false })
    expect((await ctx.users.get(dana.user.id))!.emailVerified).to.equal(false)
    await host.db('users').where({ id: dana.user.id }).update({ email_verified: true })
    expect((await ctx.users.page({ limit: 1000 })).users.find((u) => u.id === dana.user.id)!.emailVerified).to.equal(true)
    await host.db('users').where({ id: dana.user.id }).update({ email_verified: false })
  })

  it('refuses a forged or altered unsubscribe link and changes nothing', async () => {
    const channel = await only('Household')
    const before = await host.db('notification_channels').where({ id: channel.id }).first()
    const reader = host.client()
    for (const token of ['v1:k:AAAA:BBBB', 'x'.repeat(2000), `${before.url_sealed.slice(0, -4)}AAAA`]) {
      expect((await reader.get(`/notifications/unsubscribe/${encodeURIComponent(token)}`)).status).to.equal(404)
      const res = await reader.post(`/notifications/unsubscribe/${encodeURIComponent(token)}`, {})
      expect(res.status).to.equal(404)
      expect(res.text).to.include('This link does not work')
    }
    expect(await host.db('notification_channels').where({ id: channel.id }).first()).to.deep.equal(before)
  })

  it('lets a person add email only once their address is verified, and mails it only while it stays verified', async () => {
    const before = (await channels()).length
    const refused = await dana.client.post('/notifications/preferences/channels', { kind: 'email', name: 'My mail' }, { htmx: true })
    expect(refused.status).to.equal(422)
    expect(refused.text).to.include('Verify your email address first')
    expect((await channels()).length).to.equal(before)

    await host.db('users').where({ id: dana.user.id }).update({ email_verified: true })
    const added = await dana.client.post('/notifications/preferences/channels', { kind: 'email', name: 'My mail', addresses: 'someone-else@example.com' }, { htmx: true })
    expect(added.status).to.equal(200)
    const own = await only('My mail')
    expect(own.owner_user_id).to.equal(dana.user.id)
    await emit(admin.client, 'request.approved', { userId: dana.user.id, title: 'Arrival', id: 7 })
    await settled(host)
    const mail = await readMail(await nextMailTo(dana.user.email, 1))
    expect(mail.text).to.include('Arrival')
    expect(mailsTo('someone-else@example.com')).to.have.length(0)

    // The address lost its proof (it changed, or an admin reset it): nothing is mailed, and the row says why.
    await host.db('users').where({ id: dana.user.id }).update({ email_verified: false })
    await emit(admin.client, 'request.approved', { userId: dana.user.id, title: 'Dune', id: 8 })
    await settled(host)
    const failed = await host.db('notification_deliveries').where({ channel_id: own.id }).orderBy('created_at', 'desc').first()
    expect([failed.status, failed.last_error]).to.deep.equal(['failed', `${dana.user.email} is not verified: verify it on your account page, then send a test.`])
    expect(mailsTo(dana.user.email)).to.have.length(1)
    await host.db('users').where({ id: dana.user.id }).update({ email_verified: true })
  })

  it('holds a daily summary until 07:30 Berlin time across the spring DST change, then mails its facts once, as one', async () => {
    expect((await addSite({ name: 'Morning', addresses: 'morning@example.com', digest: 'daily', digest_at: '07:30', time_zone: 'Europe/Berlin' })).status).to.equal(200)
    const channel = await only('Morning')
    expect(JSON.parse(JSON.stringify(channel.settings))).to.include({ digest: 'daily', digestAt: '07:30', timeZone: 'Europe/Berlin' })
    expect((await admin.client.get('/admin/notifications')).text).to.include('a daily summary at 07:30 (Europe/Berlin)')
    await emit(admin.client, 'incident.opened', { title: 'Radarr' })
    await emit(admin.client, 'incident.opened', { title: 'Lidarr' })
    await settled(host)
    const held = () => host.db('notification_deliveries').where({ channel_id: channel.id }).orderBy('created_at')
    expect((await held()).map((d) => d.status)).to.deep.equal(['held', 'held'])
    expect(mailsTo('morning@example.com')).to.have.length(0)

    // They arrived on Saturday 27 March 2027 at noon; the clocks go forward that night.
    await host.db('notification_deliveries').where({ channel_id: channel.id }).update({ created_at: new Date('2027-03-27T12:00:00Z') })
    clock.advance(Date.parse('2027-03-28T05:29:00Z') - clock.nowMs()) // 07:29 CEST, 06:29 by Saturday's offset
    await runSchedule('notifications.digests')
    expect((await held()).map((d) => d.status)).to.deep.equal(['held', 'held'])
    clock.advance(2 * 60_000) // 07:31 CEST: due, an hour before a fixed-offset schedule would be
    await runSchedule('notifications.digests')
    const mail = await readMail(await nextMailTo('morning@example.com', 1))
    expect(mail.subject).to.equal('2 notifications from MediaNest')
    expect(mail.text).to.include('Radarr is down').and.include('Lidarr is down')
    expect(mail.header('List-Unsubscribe')).to.match(/^<https:\/\/media\.example\.com\/notifications\/unsubscribe\//)
    expect((await held()).map((d) => d.status)).to.deep.equal(['sent', 'sent'])

    // Run again in the same slot: nothing is held, nothing is mailed twice.
    await runSchedule('notifications.digests')
    expect(mailsTo('morning@example.com')).to.have.length(1)
  })

  it('says in the admin page why a site mail could not go, when the hourly limit per address is spent', async () => {
    const channel = await only('Household')
    await host.db('notification_channels').where({ id: channel.id }).update({ enabled: true })
    // The core's per-address limit, spent: the mail is refused, not retried for ever.
    const sent = smtp.received.length
    await host.db('mail_outbox').insert(Array.from({ length: 50 }, () => ({ id: crypto.randomUUID(), recipient: 'bo@example.com', subject: 'x', status: 'sent' })))
    await emit(admin.client, 'incident.opened', { title: 'Bazarr' })
    await settled(host)
    const row = await host.db('notification_deliveries').where({ channel_id: channel.id }).orderBy('created_at', 'desc').first()
    expect([row.status, row.last_error]).to.deep.equal(['failed', 'bo@example.com has had its most mails for this hour.'])
    expect((await admin.client.get('/admin/notifications')).text).to.include('bo@example.com has had its most mails for this hour.')
    expect(smtp.received.length).to.equal(sent)
  })
})

