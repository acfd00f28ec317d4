import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import type { TestClient } from '../support/http-client.ts'

const errorsPlugins = fileURLToPath(new URL('../fixtures/first-party-errors', import.meta.url))

describe('http: pages, fragments, errors and headers', function () {
  this.timeout(60_000)
  let host: TestHost
  let client: TestClient

  before(async () => {
    host = await startTestHost({ firstPartyDir: errorsPlugins, plugins: { explode: { enabled: true } } })
    client = (await host.signedIn()).client
  })
  after(async () => { await host.stop() })

  describe('page or fragment', () => {
    it('answers a plain request with the whole page', async () => {
      const res = await client.get('/explode/echo?text=hi')
      expect(res.text).to.match(/^<!doctype html>/).and.include('<p id="explode-echo">hi</p>')
      expect(res.headers.get('vary')).to.include('HX-Request').and.include('HX-Request-Type')
    })

    it('answers an htmx partial request with the fragment alone', async () => {
      const res = await client.get('/explode/echo?text=hi', { htmx: true })
      expect(res.text.trim()).to.equal('<p id="explode-echo">hi</p>')
      expect(res.headers.get('vary')).to.include('HX-Request')
    })

    it('answers boosted navigation and history restores (HX-Request-Type: full) with the page', async () => {
      const res = await client.get('/explode/echo?text=hi', { htmx: 'full' })
      expect(res.text).to.match(/^<!doctype html>/)
    })

    it('escapes <script> in rendered values', async () => {
      const res = await client.get(`/explode/echo?text=${encodeURIComponent('<script>alert(1)</script>')}`, { htmx: true })
      expect(res.text).to.include('&lt;script&gt;alert(1)&lt;/script&gt;').and.not.include('<script>')
    })

    it('escapes a user name that holds markup everywhere the layout shows it', async () => {
      const user = await host.createUser({ name: '<img src=x onerror=alert(1)>' })
      const { client: c } = await host.signedIn(user)
      const res = await c.get('/')
      expect(res.text).to.include('&lt;img src=x onerror=alert(1)&gt;').and.not.include('<img src=x')
    })
  })

  describe('the error handler', () => {
    it('writes error_logs with the correlation id it answers, and hides internals from the page', async () => {
      const res = await client.get('/explode/crash')
      expect(res.status).to.equal(500)
      const id = res.headers.get('x-request-id')!
      expect(res.text).to.include(id).and.include('Something went wrong on our side').and.not.include('secret internals')
      const row = await host.db('error_logs').where({ correlation_id: id }).first()
      expect(row).to.include({ status_code: 500, request_method: 'GET', request_path: '/explode/crash', error_message: 'kaboom: secret internals' })
      expect(row.stack_trace).to.include('kaboom')
      expect(row.user_id).to.be.a('string')
    })

    it('catches rejected promises from async routes', async () => {
      const res = await client.get('/explode/async-crash', { htmx: true })
      expect(res.status).to.equal(500)
      expect(res.text).not.to.include('<html')
      expect(res.text).to.include(res.headers.get('x-request-id')!)
    })

    it('shows upstream failures in words, and records which service failed', async () => {
      const res = await client.get('/explode/upstream')
      expect(res.status).to.equal(502)
      expect(res.text).to.include('Overseerr: did not answer within 10 s')
      const row = await host.db('error_logs').where({ correlation_id: res.headers.get('x-request-id')! }).first()
      expect(row.metadata).to.deep.include({ service: 'Overseerr' })
      expect(row.stack_trace).to.include('UpstreamError')
    })

    it('keeps a sane incoming X-Request-Id and replaces a malformed one', async () => {
      const kept = await client.get('/explode/crash', { headers: { 'X-Request-Id': 'proxy-id-12345678' } })
      expect(kept.headers.get('x-request-id')).to.equal('proxy-id-12345678')
      const replaced = await client.get('/explode/crash', { headers: { 'X-Request-Id': 'bad id <script>' } })
      expect(replaced.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/)
    })

    it('answers an unknown address with 404 and does not fill error_logs with it', async () => {
      const before = await host.db('error_logs').count('* as n').first()
      const res = await client.get('/no/such/page')
      expect(res.status).to.equal(404)
      const after = await host.db('error_logs').count('* as n').first()
      expect(Number(after!.n)).to.equal(Number(before!.n))
    })

    it('answers API clients with JSON', async () => {
      const res = await client.get('/explode/crash', { headers: { Accept: 'application/json' } })
      expect(res.status).to.equal(500)
      expect(JSON.parse(res.text).error).to.include({ status: 500, requestId: res.headers.get('x-request-id') })
    })
  })

  describe('headers and health', () => {
    it('sends a strict CSP and no framing', async () => {
      const res = await client.get('/')
      const csp = res.headers.get('content-security-policy')!
      expect(csp).to.include("script-src 'self'").and.include("frame-ancestors 'none'").and.include("object-src 'none'")
      expect(csp).not.to.include('unsafe')
      expect(res.headers.get('x-frame-options')).to.equal('DENY')
      expect(res.headers.get('x-powered-by')).to.equal(null)
    })

    it('serves htmx and its SSE extension from node_modules', async () => {
      const htmx = await fetch(`${host.url}/vendor/htmx.min.js`)
      expect(htmx.status).to.equal(200)
      expect(await htmx.text()).to.include('htmx')
      expect((await fetch(`${host.url}/vendor/hx-sse.min.js`)).status).to.equal(200)
    })

    it('reports health and readiness as JSON', async () => {
      const health = await fetch(`${host.url}/healthz`)
      expect(health.status).to.equal(200)
      expect(await health.json()).to.include({ status: 'ok' })
      const ready = await fetch(`${host.url}/readyz`)
      expect(ready.status).to.equal(200)
      expect(await ready.json()).to.deep.equal({ status: 'ready' })
    })

    it('refuses a body over the size limit with 413', async () => {
      const res = await client.post('/explode/echo', { big: 'x'.repeat(200_000) })
      expect(res.status).to.equal(413)
    })

    it('refuses a template path that leaves its views folder', async () => {
      let error: unknown
      try { await host.app.core.views.render('explode:../../../../../core/plugin-api.ts') } catch (e) { error = e }
      expect((error as Error).message).to.include('outside its views folder')
    })
  })
})
