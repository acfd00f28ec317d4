import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import type { TestClient } from '../support/http-client.ts'

const LIMITS = { rateLimits: { login: { limit: 1000, window: '15m' }, authenticated: { limit: 10_000, window: '1m' } } }
const idsIn = (html: string) => [...html.matchAll(/<tr id="admin-error-([0-9a-f-]{36})">/g)].map((m) => m[1])
const link = (html: string, rel: 'next' | 'prev') => new RegExp(`rel="${rel}" href="([^"]+)"`).exec(html)?.[1].replace(/&amp;/g, '&')

describe('admin: error log', function () {
  this.timeout(120_000)
  let host: TestHost
  let client: TestClient
  let serial = 0

  before(async () => {
    host = await startTestHost({ config: LIMITS })
    client = (await host.signedIn(await host.createUser({ role: 'ADMIN' }))).client
  })
  after(async () => { await host.stop() })

  const tag = () => `t${++serial}-${Date.now().toString(36)}`
  const insert = async (fields: Record<string, unknown>) => {
    const [row] = await host.db('error_logs').insert({
      correlation_id: tag(), error_code: 'Error', error_message: 'boom', request_path: '/x', request_method: 'GET', status_code: 500,
      metadata: JSON.stringify({}), ...fields,
    }).returning('*')
    return row as { id: string; correlation_id: string }
  }

  it('filters by exact correlation id', async () => {
    const a = await insert({})
    await insert({ correlation_id: `${a.correlation_id}-longer` })
    const res = await client.get(`/admin/errors?correlation_id=${a.correlation_id}`)
    expect(res.status).to.equal(200)
    expect(idsIn(res.text)).to.deep.equal([a.id])
  })

  it('filters by status, user email substring and UTC dates, together', async () => {
    const code = tag()
    const someone = await host.createUser({ email: `Filter.Target.${code}@example.com` })
    const other = await host.createUser()
    const match = await insert({ error_code: code, status_code: 418, user_id: someone.id, created_at: new Date('2026-03-10T23:59:59Z') })
    const early = await insert({ error_code: code, status_code: 418, user_id: someone.id, created_at: new Date('2026-03-08T23:59:59Z') })
    const late = await insert({ error_code: code, status_code: 418, user_id: someone.id, created_at: new Date('2026-03-12T00:00:00Z') })
    const otherStatus = await insert({ error_code: code, status_code: 503, user_id: someone.id, created_at: new Date('2026-03-10T12:00:00Z') })
    const otherUser = await insert({ error_code: code, status_code: 418, user_id: other.id, created_at: new Date('2026-03-10T12:00:00Z') })
    const anonymous = await insert({ error_code: code, status_code: 418, created_at: new Date('2026-03-10T12:00:00Z') })
    const email = encodeURIComponent(`target.${code}`.toUpperCase())

    const all = await client.get(`/admin/errors?user=${email}`)
    expect(idsIn(all.text)).to.have.members([match.id, early.id, late.id, otherStatus.id])
    expect(idsIn(all.text)[0]).to.equal(late.id)

    const byStatus = await client.get(`/admin/errors?user=${email}&status=418`)
    expect(idsIn(byStatus.text)).to.have.members([match.id, early.id, late.id])

    const byDates = await client.get(`/admin/errors?user=${email}&status=418&from=2026-03-09&to=2026-03-11`)
    expect(idsIn(byDates.text)).to.deep.equal([match.id])
    const oneDay = await client.get(`/admin/errors?status=418&from=2026-03-10&to=2026-03-10`)
    expect(idsIn(oneDay.text)).to.include.members([match.id, otherUser.id, anonymous.id]).and.not.include(late.id)
    expect(byDates.text).to.contain(`value="2026-03-09"`)
  })

  for (const [what, query, message] of [
    ['a status that is not a number', 'status=abc', 'between 100 and 599'],
    ['a status out of range', 'status=999', 'between 100 and 599'],
    ['a date that does not exist', 'from=2026-02-30', 'real date'],
    ['a date in another format', 'to=03/10/2026', 'real date'],
    ['an end before the start', 'from=2026-03-10&to=2026-03-01', 'end date is before the start'],
    ['an oversized correlation id', `correlation_id=${'x'.repeat(65)}`, 'at most 64'],
    ['a broken page link', 'after=bm90IGEgY3Vyc29y', 'page link is not valid'],
  ] as const) {
    it(`refuses ${what} with 422 and a message`, async () => {
      const res = await client.get(`/admin/errors?${query}`)
      expect(res.status).to.equal(422)
      expect(res.text).to.contain(message)
      expect(idsIn(res.text)).to.deep.equal([])
      const fragment = await client.get(`/admin/errors?${query}`, { htmx: true })
      expect(fragment.status).to.equal(422)
      expect(fragment.text.trimStart()).to.match(/^<section class="card" id="admin-errors-results"/)
    })
  }

  it('pages newest first, 50 at a time, keeping the filters in the links', async () => {
    const code = tag()
    const base = Date.parse('2025-06-01T00:00:00Z')
    // Pairs share a timestamp, so the id breaks ties.
    const rows = Array.from({ length: 120 }, (_, i) => ({
      correlation_id: `${code}-${i}`, error_code: code, error_message: `m${i}`, request_path: '/p', request_method: 'POST',
      status_code: 429, created_at: new Date(base + Math.floor(i / 2) * 1000), metadata: JSON.stringify({}),
    }))
    await host.db('error_logs').insert(rows)
    const first = await client.get('/admin/errors?status=429&from=2025-06-01&to=2025-06-01')
    const page1 = idsIn(first.text)
    expect(page1).to.have.length(50)
    const next = link(first.text, 'next')!
    expect(next).to.contain('status=429').and.contain('from=2025-06-01').and.contain('after=')
    const second = await client.get(next)
    const page2 = idsIn(second.text)
    const third = await client.get(link(second.text, 'next')!)
    const page3 = idsIn(third.text)
    expect([page2.length, page3.length]).to.deep.equal([50, 20])
    expect(link(third.text, 'next')).to.equal(undefined)
    expect(new Set([...page1, ...page2, ...page3]).size).to.equal(120)
    const newest = await host.db('error_logs').where({ error_code: code }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).pluck('id')
    expect([...page1, ...page2, ...page3]).to.deep.equal(newest)
    expect(idsIn((await client.get(link(third.text, 'prev')!)).text)).to.deep.equal(page2)
  })

  it('shows an entry in full, escaped everywhere', async () => {
    const row = await insert({
      error_code: 'XSS<b>', error_message: '<script>alert("msg")</script>', request_path: '/a"><img src=x onerror=alert(1)>',
      stack_trace: 'Error: <script>alert("stack")</script>\n    at thing (file.ts:1:1)', status_code: 500,
      metadata: JSON.stringify({ userAgent: '<svg onload=alert(1)>', htmx: true }),
    })
    const res = await client.get(`/admin/errors/${row.id}`)
    expect(res.status).to.equal(200)
    expect(res.text).not.to.contain('<script>alert').and.not.to.contain('<img src=x').and.not.to.contain('<svg onload').and.not.to.contain('XSS<b>')
    expect(res.text).to.contain('&lt;script&gt;alert(&quot;msg&quot;)&lt;/script&gt;')
    expect(res.text).to.match(/<pre>Error: &lt;script&gt;alert\(&quot;stack&quot;\)&lt;\/script&gt;\n {4}at thing/)
    expect(res.text).to.contain('&quot;userAgent&quot;: &quot;&lt;svg onload=alert(1)&gt;&quot;')
    const list = await client.get(`/admin/errors?correlation_id=${row.correlation_id}`)
    expect(list.text).not.to.contain('<script>alert').and.not.to.contain('<img src=x')
    expect(idsIn(list.text)).to.deep.equal([row.id])
  })

  it('links an entry to its user', async () => {
    const someone = await host.createUser()
    const row = await insert({ user_id: someone.id })
    const res = await client.get(`/admin/errors/${row.id}`)
    expect(res.text).to.contain(`<a href="/admin/users/${someone.id}">${someone.email}</a>`)
  })

  it('answers 404 for malformed or unknown ids', async () => {
    expect((await client.get('/admin/errors/not-a-uuid')).status).to.equal(404)
    expect((await client.get('/admin/errors/00000000-0000-4000-8000-000000000000')).status).to.equal(404)
  })

  it('records refused requests as one summary row that the log then shows', async () => {
    const user = await host.signedIn()
    await host.app.errorRecorder.flush()
    const refused = await user.client.get('/admin/plugins')
    expect(refused.status).to.equal(403)
    const requestId = refused.headers.get('x-request-id')!
    expect(await host.db('error_logs').where({ correlation_id: requestId }).first()).to.equal(undefined)
    await host.app.errorRecorder.flush()
    const summary = await host.db('error_logs').where({ request_path: '/admin/*', status_code: 403 }).orderBy('created_at', 'desc').first()
    expect(summary.metadata.sampleRequestIds).to.include(requestId)
    const res = await client.get(`/admin/errors?correlation_id=${summary.correlation_id}`)
    expect(idsIn(res.text)).to.deep.equal([summary.id])
    expect(res.text).to.contain('Forbidden').and.contain('1 request was answered 403 Forbidden')
  })
})
