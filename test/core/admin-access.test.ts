import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const LIMITS = { rateLimits: { login: { limit: 1000, window: '15m' }, authenticated: { limit: 10_000, window: '1m' } } }

describe('admin: who may enter', function () {
  this.timeout(60_000)
  let host: TestHost
  let userId: string
  let serviceId: number
  let errorId: string

  before(async () => {
    host = await startTestHost({ config: LIMITS })
    userId = (await host.createUser()).id
    serviceId = (await host.db('service_configs').insert({ service_name: 'guarded', service_url: 'http://127.0.0.1:1/' }).returning('id'))[0].id
    errorId = (await host.db('error_logs').insert({
      correlation_id: 'guard-test', error_code: 'Error', error_message: 'x', request_path: '/', request_method: 'GET',
    }).returning('id'))[0].id
  })
  after(async () => { await host.stop() })

  const gets = () => [
    '/admin', '/admin/', '/admin/users', '/admin/users?q=a', '/admin/users/new', `/admin/users/${userId}`,
    '/admin/services', '/admin/services/new', `/admin/services/${serviceId}`, `/admin/services/${serviceId}/delete`,
    '/admin/errors', '/admin/errors?status=500', `/admin/errors/${errorId}`, '/admin/plugins', '/admin/no-such-page',
  ]
  const posts = (): Array<[string, Record<string, string>]> => [
    ['/admin/users', { email: 'sneaky@example.com', name: 'Sneaky', role: 'ADMIN' }],
    [`/admin/users/${userId}/role`, { role: 'ADMIN' }],
    [`/admin/users/${userId}/status`, { status: 'suspended' }],
    [`/admin/users/${userId}/reset-password`, {}],
    ['/admin/services', { service_name: '', service_name_other: 'sneaky', service_url: 'http://127.0.0.1:2/', enabled: '1', config_data: '{}' }],
    [`/admin/services/${serviceId}`, { service_name: '', service_name_other: 'guarded', service_url: 'http://evil.example.com/', config_data: '{}' }],
    [`/admin/services/${serviceId}/test`, {}],
    [`/admin/services/${serviceId}/delete`, {}],
  ]

  const snapshot = async () => ({
    users: await host.db('users').orderBy('id').select('id', 'email', 'role', 'status'),
    services: await host.db('service_configs').orderBy('id'),
    tokens: await host.db('verification_tokens').where('identifier', 'like', 'reset:%').count('* as n').first(),
  })

  it('gives a signed-in USER 403 on every admin page and action, changing nothing', async () => {
    const { client } = await host.signedIn()
    const before = await snapshot()
    for (const path of gets()) {
      const res = await client.get(path)
      expect(res.status, `GET ${path}`).to.equal(403)
      expect(res.text, `GET ${path}`).to.contain('This area is for admins only.')
      const fragment = await client.get(path, { htmx: true })
      expect(fragment.status, `htmx GET ${path}`).to.equal(403)
    }
    for (const [path, form] of posts()) {
      const res = await client.post(path, form)
      expect(res.status, `POST ${path}`).to.equal(403)
      expect((await client.post(path, form, { htmx: true })).status, `htmx POST ${path}`).to.equal(403)
    }
    expect(await snapshot()).to.deep.equal(before)
  })

  it('sends someone not signed in to the sign-in page, and refuses their posts', async () => {
    const anonymous = host.client()
    const before = await snapshot()
    for (const path of gets()) {
      const res = await anonymous.get(path)
      expect(res.status, `GET ${path}`).to.equal(303)
      expect(res.location, `GET ${path}`).to.equal(`/login?next=${encodeURIComponent(path)}`)
    }
    await anonymous.get('/login')
    for (const [path, form] of posts()) {
      const res = await anonymous.post(path, form)
      expect(res.status, `POST ${path}`).to.be.oneOf([401, 403])
    }
    expect(await snapshot()).to.deep.equal(before)
  })

  it('lets an ADMIN into every page, and the overview links to each section', async () => {
    const { client } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    for (const path of gets().filter((p) => p !== '/admin/no-such-page')) {
      const res = await client.get(path)
      expect(res.status, `GET ${path}`).to.equal(200)
    }
    expect((await client.get('/admin/no-such-page')).status).to.equal(404)
    const index = await client.get('/admin')
    for (const href of ['/admin/users', '/admin/services', '/admin/errors', '/admin/plugins']) expect(index.text).to.contain(`href="${href}"`)
    expect(index.text).to.match(/\d+ accounts?, \d+ active admins?/)
  })

  it('puts a CSRF token in every POST form and no htmx 2 or eval-needing idiom in any page', async () => {
    const { client } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const target = await host.createUser()
    const pages = [...gets().filter((p) => p !== '/admin/no-such-page'), `/admin/users/${target.id}`]
    for (const path of pages) {
      const html = (await client.get(path)).text
      const forms = [...html.matchAll(/<form\b[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/g)]
      for (const [, body] of forms) expect(body, path).to.match(/<input type="hidden" name="_csrf" value="[^"]+">/)
      expect(html, path).not.to.match(/hx-on[:-]|hx-ext=|js:|hx-trigger="[^"]*\[|hx-vars|hx-disabled-elt/)
      const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1])
      expect(new Set(ids).size, `${path}: duplicate ids`).to.equal(ids.length)
      const hxIds = [...html.matchAll(/\bhx-target(?::inherited)?="#([^"]+)"/g)].map((m) => m[1])
      for (const id of hxIds) expect(id, path).to.match(/^admin-/)
    }
  })
})
