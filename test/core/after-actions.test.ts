// Issue 17 (8–13) over HTTP: what a person sees after an action — notices once, no
// cached private pages, a confirmation before suspending, a friendly page for a service
// already deleted, errors in the alert region, repeated creation forms refused.
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import type { TestClient } from '../support/http-client.ts'

const onceOf = (html: string) => /name="_once" value="([^"]+)"/.exec(html)![1]

describe('after an action: notices, caching, confirmations and repeats', function () {
  this.timeout(60_000)
  let host: TestHost
  let admin: TestClient
  let serial = 0

  before(async () => {
    host = await startTestHost()
    admin = (await host.signedIn(await host.createUser({ role: 'ADMIN' }))).client
  })
  after(async () => host?.stop())

  const serviceForm = (fields: Record<string, string> = {}) => ({
    service_name: '', service_name_other: `svc-${++serial}-${Date.now().toString(36)}`, service_url: 'http://127.0.0.1:5055/api',
    api_key: '', enabled: '1', config_data: '{}', ...fields,
  })

  it('marks every signed-in response no-store, so Back after signing out shows no private page', async () => {
    for (const path of ['/', '/account', '/admin', '/admin/users']) {
      expect((await admin.get(path)).headers.get('cache-control'), path).to.equal('no-store')
    }
  })

  it('shows a notice after a redirect once: a reload does not repeat it', async () => {
    await admin.get('/admin/services/new')
    const body = serviceForm()
    const res = await admin.post('/admin/services', body)
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/admin/services')
    expect((await admin.get('/admin/services')).text).to.contain('Service added.')
    expect((await admin.get('/admin/services')).text).not.to.contain('Service added.')
  })

  it('answers the delete page of a service already deleted with a friendly page, not a 404', async () => {
    await admin.get('/admin/services/new')
    const body = serviceForm()
    await admin.post('/admin/services', body)
    const row = await host.db('service_configs').where({ service_name: body.service_name_other }).first()
    await admin.get(`/admin/services/${row.id}/delete`)
    expect((await admin.post(`/admin/services/${row.id}/delete`)).status).to.equal(303)
    const back = await admin.get(`/admin/services/${row.id}/delete`)
    expect(back.status).to.equal(410)
    expect(back.text).to.contain('This service was already deleted').and.not.contain('Not found')
  })

  it('refuses a repeated "add service" or "create user" form and creates nothing twice', async () => {
    const page = await admin.get('/admin/services/new')
    const body = { ...serviceForm(), _once: onceOf(page.text) }
    expect((await admin.post('/admin/services', body)).status).to.equal(303)
    const again = await admin.post('/admin/services', body)
    expect(again.status).to.equal(409)
    expect(again.text).to.contain('That form was already sent')
    expect(await host.db('service_configs').where({ service_name: body.service_name_other }).pluck('id')).to.have.length(1)

    const userPage = await admin.get('/admin/users/new')
    const user = { email: `once-${Date.now()}@example.com`, name: 'Once', role: 'USER', _once: onceOf(userPage.text) }
    expect((await admin.post('/admin/users', user)).status).to.equal(201)
    const repeat = await admin.post('/admin/users', user)
    expect(repeat.status).to.equal(409)
    expect(repeat.text).to.contain('That form was already sent').and.not.contain('id="admin-user-temporary-password"')
    expect(await host.db('users').where({ email: user.email }).pluck('id')).to.have.length(1)
  })

  it('lets a corrected form through after a refused one: the token is only taken by a creation', async () => {
    const page = await admin.get('/admin/users/new')
    const once = onceOf(page.text)
    const taken = await host.createUser()
    const conflict = await admin.post('/admin/users', { email: taken.email, name: '', role: 'USER', _once: once })
    expect(conflict.status).to.equal(409)
    expect(conflict.text).to.contain('already in use')
    const fixed = await admin.post('/admin/users', { email: `fixed-${Date.now()}@example.com`, name: '', role: 'USER', _once: once })
    expect(fixed.status).to.equal(201)
  })

  it('asks before suspending: a confirmation page without JavaScript, a plain hx-confirm with htmx', async () => {
    const { user } = await host.signedIn()
    const card = await admin.get(`/admin/users/${user.id}`)
    expect(card.text).to.contain(`action="/admin/users/${user.id}/suspend"`).and.contain('hx-confirm="Suspend ')
    expect(card.text).not.to.contain('hx-confirm="js:')
    const confirm = await admin.get(`/admin/users/${user.id}/suspend`)
    expect(confirm.status).to.equal(200)
    expect(confirm.text).to.contain(`action="/admin/users/${user.id}/status"`).and.contain('name="status" value="suspended"')
    expect((await host.db('users').where({ id: user.id }).first()).status).to.equal('active')
  })

  it('sends an htmx request\'s error to the alert region, and names the error log only for server errors', async () => {
    const res = await admin.post('/account/tokens/00000000-0000-4000-8000-000000000000/revoke', {}, { htmx: true })
    expect(res.status).to.equal(404)
    expect(res.headers.get('hx-retarget')).to.equal('#alerts')
    expect(res.headers.get('hx-reswap')).to.equal('innerHTML')
    expect(res.text).to.contain('autofocus').and.not.contain('error log')
    const page = await admin.get('/no-such-page')
    expect(page.status).to.equal(404)
    expect(page.text).not.to.contain('error log')
  })

  it('signs out without a token when there is no live session, but not a live one', async () => {
    const nobody = host.client()
    const res = await nobody.post('/logout', {}, { noCsrf: true })
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/login')
    const { client } = await host.signedIn()
    expect((await client.post('/logout', {}, { noCsrf: true })).status).to.equal(403)
    expect((await client.get('/')).status).to.equal(200)
  })

  it('tells the owner made from the environment to finish setting up, not that an admin asked', async () => {
    const boot = await startTestHost({ config: { bootstrapAdmin: { email: 'Owner@Example.com', password: 'bootstrap owner passphrase 7' } } })
    try {
      const client = boot.client()
      await client.get('/login')
      expect((await client.post('/login', { email: 'owner@example.com', password: 'bootstrap owner passphrase 7' })).status).to.equal(303)
      const page = await client.get('/account/password')
      expect(page.text).to.contain('Choose your own password to finish setting up').and.not.contain('An admin asked you')
      expect(page.text).not.to.contain('id="live-stream"').and.not.contain('>Dashboard<')
    } finally {
      await boot.stop()
    }
  })
})
