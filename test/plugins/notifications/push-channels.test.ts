// Telegram, Gotify and Pushover channels (issue 34, part 4): the request each service
// documents, its refusals said in words (never a token), the form's own rules beside the
// fields, and people's own targets held to the hosts the admin allows.
import { expect, type TestHost, type TestClient } from 'medianest/testing'
import { startFakeGotify, startFakePushover, startFakeTelegram, type FakeGotify, type FakePushover, type FakeTelegram } from '../../support/fake-push-services.ts'
import { emit, notificationsHost, settled } from './harness.ts'

describe('notifications: Telegram, Gotify and Pushover channels', function () {
  this.timeout(120_000)
  let host: TestHost
  let telegram: FakeTelegram
  let gotify: FakeGotify
  let pushover: FakePushover
  let admin: { client: TestClient; user: { id: string } }
  let dana: { client: TestClient; user: { id: string } }

  before(async () => {
    ;[telegram, gotify, pushover] = await Promise.all([startFakeTelegram(), startFakeGotify('/gotify'), startFakePushover()])
    host = await notificationsHost({
      deliveryAttempts: 1, deliveryTimeoutMs: 2000, publicUrl: 'https://media.example.com',
      userTargetHosts: { discord: [], ntfy: [], telegram: ['127.0.0.1'], gotify: [], pushover: [] },
    })
    admin = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    dana = await host.signedIn()
  })
  after(async () => {
    await host?.stop()
    await Promise.all([telegram, gotify, pushover].map((f) => f?.close()))
  })

  const channels = () => host.db('notification_channels').orderBy('created_at')
  const add = (form: Record<string, string>, client = admin.client, path = '/admin/notifications/channels') => client.post(path, form, { htmx: true })
  const only = async (name: string) => {
    await host.db('notification_channels').update({ enabled: false })
    const row = await host.db('notification_channels').where({ name }).first()
    await host.db('notification_channels').where({ id: row.id }).update({ enabled: true })
    return row
  }
  const sendTest = async (id: string) => (await admin.client.post(`/admin/notifications/channels/${id}/test`, {}, { htmx: true })).text

  it('refuses what each service would refuse, beside the field, and saves nothing', async () => {
    const before = (await channels()).length
    const cases: Array<[Record<string, string>, string, string]> = [
      [{ kind: 'telegram', name: 'T', url: telegram.url, secret: telegram.token, recipient: '@medianest_group' }, 'recipient', 'The Telegram chat id is a number'],
      [{ kind: 'telegram', name: 'T', url: telegram.url, secret: 'not a token', recipient: telegram.chatId }, 'secret', 'Paste the bot token BotFather gave you'],
      [{ kind: 'gotify', name: 'G', url: `${gotify.url}/gotify`, secret: 'AbC dEf GhI' }, 'secret', 'The Gotify application token has no spaces'],
      [{ kind: 'gotify', name: 'G', url: '', secret: gotify.appToken }, 'url', 'Enter the address.'],
      [{ kind: 'pushover', name: 'P', url: pushover.url, secret: pushover.appToken, recipient: 'short' }, 'recipient', 'Paste your Pushover user or group key'],
      [{ kind: 'pushover', name: 'P', url: pushover.url, secret: pushover.appToken, recipient: pushover.userKey, priority: '2' }, 'priority', 'Leave the priority empty for Pushover.'],
      [{ kind: 'gotify', name: 'G', url: `${gotify.url}/gotify`, secret: gotify.appToken, priority: '11' }, 'priority', 'Choose a priority from 0 to 10.'],
    ]
    for (const [form, field, words] of cases) {
      const res = await add(form)
      expect(res.status, JSON.stringify(form)).to.equal(422)
      expect(res.text, JSON.stringify(form)).to.include(words).and.include(`id="notifications-admin-${field}-error"`)
      expect(res.text).to.match(new RegExp(`name="${field}"[^>]*aria-invalid="true"[^>]*autofocus`))
    }
    expect((await channels()).length).to.equal(before)
  })

  it('Telegram: sendMessage to the chat as plain text with the link, the token only in the path and never shown', async () => {
    expect((await add({ kind: 'telegram', name: 'Family group', url: telegram.url, secret: telegram.token, recipient: telegram.chatId })).status).to.equal(200)
    const row = await only('Family group')
    expect(row.url_hint).to.equal(`${new URL(telegram.url).origin}/…`)
    expect(JSON.stringify(row)).to.not.include(telegram.token)
    await emit(admin.client, 'incident.opened', { title: '<b>Plex</b>' })
    await settled(host)
    expect(telegram.taken).to.deep.equal([{
      chat_id: telegram.chatId,
      text: '<b>Plex</b> is down\n\nThe monitor opened an incident.\n\nhttps://status.example.com/incident',
      link_preview_options: { is_disabled: true },
    }])
    expect(telegram.requests.at(-1)!.path).to.equal(`/bot${telegram.token}/sendMessage`)
    const page = await admin.client.get('/admin/notifications')
    expect(page.text).to.include('Family group').and.not.include(telegram.token)
  })

  it("Telegram: a chat the bot is not in fails in Telegram's words, the token redacted", async () => {
    const row = await only('Family group')
    await host.db('notification_channels').where({ id: row.id }).update({ settings: JSON.stringify({ ...row.settings, recipient: '-42' }) })
    const text = await sendTest(row.id)
    expect(text).to.include('Telegram refused the message (HTTP 400): Bad Request: chat not found').and.not.include(telegram.token)
    await emit(admin.client, 'incident.opened', { title: 'Sonarr' })
    await settled(host)
    const failed = await host.db('notification_deliveries').where({ channel_id: row.id, status: 'failed' }).first()
    expect(failed.last_error).to.include('chat not found').and.not.include(telegram.token)
  })

  it('Gotify: POST /message under its path, the token in X-Gotify-Key (never the query), priority and a click link', async () => {
    expect((await add({ kind: 'gotify', name: 'Gotify', url: `${gotify.url}/gotify/`, secret: gotify.appToken, priority: '8' })).status).to.equal(200)
    await only('Gotify')
    await emit(admin.client, 'incident.opened', { title: 'Radarr' })
    await settled(host)
    const sent = gotify.requests.filter((r) => r.method === 'POST')
    expect(sent).to.have.length(1)
    expect(sent[0].url).to.equal('/gotify/message')
    expect(sent[0].headers['x-gotify-key']).to.equal(gotify.appToken)
    expect(gotify.taken).to.deep.equal([{
      title: 'Radarr is down', message: 'The monitor opened an incident.', priority: 8,
      extras: { 'client::display': { contentType: 'text/plain' }, 'client::notification': { click: { url: 'https://status.example.com/incident' } } },
    }])
  })

  it("Gotify: a wrong token fails with Gotify's description", async () => {
    const row = await host.db('notification_channels').where({ name: 'Gotify' }).first()
    await host.db('notification_channels').where({ id: row.id }).del()
    expect((await add({ kind: 'gotify', name: 'Gotify old token', url: `${gotify.url}/gotify`, secret: 'Aoldtokenxxxxxx' })).status).to.equal(200)
    const old = await only('Gotify old token')
    const text = await sendTest(old.id)
    expect(text).to.include('Gotify refused the message (HTTP 401): you need to provide a valid access token').and.not.include('Aoldtokenxxxxxx')
  })

  it('Pushover: token, user, title, message clipped to 1024 and the link; status 0 is a failure even on HTTP 200', async () => {
    expect((await add({ kind: 'pushover', name: 'Pushover', url: pushover.url, secret: pushover.appToken, recipient: pushover.userKey })).status).to.equal(200)
    const row = await only('Pushover')
    await emit(admin.client, 'party.announced', { title: 'x'.repeat(1500) })
    await settled(host)
    expect(pushover.taken).to.have.length(1)
    const body = pushover.taken[0]
    expect(body).to.include({ token: pushover.appToken, user: pushover.userKey, title: 'Watch party' })
    expect((body.message as string).length).to.equal(1024)
    expect((body.message as string).endsWith('…')).to.equal(true)

    pushover.statusZeroOn200(true)
    try {
      const text = await sendTest(row.id)
      expect(text).to.include('Pushover refused the message (HTTP 200, status 0): relay could not deliver the message').and.not.include(pushover.appToken)
    } finally {
      pushover.statusZeroOn200(false)
    }
    await host.db('notification_channels').where({ id: row.id }).update({ settings: JSON.stringify({ ...row.settings, recipient: 'u'.repeat(30) }) })
    expect(await sendTest(row.id)).to.include('Pushover refused the message (HTTP 400, status 0): user identifier is not a valid user')
  })

  it("a person adds their own Telegram on an allowed host, is offered no kind without one, and can't add Gotify or a default host", async () => {
    const page = await dana.client.get('/notifications/preferences')
    expect(page.text).to.include('<option value="telegram"').and.not.include('<option value="gotify"').and.not.include('<option value="webhook"')
    expect(page.text).to.include('Telegram on 127.0.0.1')
    const path = '/notifications/preferences/channels'
    const gotifyTry = await add({ kind: 'gotify', name: 'Mine', url: `${gotify.url}/gotify`, secret: gotify.appToken }, dana.client, path)
    expect(gotifyTry.status).to.equal(422)
    expect(gotifyTry.text).to.include('(no host is allowed; ask an admin)')
    // An empty address means Pushover's own API, which this admin did not allow.
    const pushTry = await add({ kind: 'pushover', name: 'Mine', url: '', secret: pushover.appToken, recipient: pushover.userKey }, dana.client, path)
    expect(pushTry.status).to.equal(422)
    expect(await host.db('notification_channels').where({ owner_user_id: dana.user.id })).to.have.length(0)

    const ok = await add({ kind: 'telegram', name: 'My chat', url: telegram.url, secret: telegram.token, recipient: telegram.chatId }, dana.client, path)
    expect(ok.status).to.equal(200)
    telegram.taken.length = 0
    await host.db('notification_channels').whereNull('owner_user_id').update({ enabled: false })
    await emit(admin.client, 'request.approved', { userId: dana.user.id, title: 'Arrival', id: 5 })
    await settled(host)
    expect(telegram.taken.map((t) => t.text)).to.deep.equal(['Approved: Arrival\n\nYour request for Arrival was approved.\n\nhttps://media.example.com/notify-fixture/requests/5'])
  })
})
