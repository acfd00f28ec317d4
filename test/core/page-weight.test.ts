import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import type { TestClient } from '../support/http-client.ts'
import { assetUrlsOf, getRaw, openStream } from '../support/raw-http.ts'
import { waitFor } from '../support/wait-for.ts'

const BUDGET_BYTES = 40 * 1024
const BROWSER = { 'Accept-Encoding': 'br, gzip', Accept: 'text/html' }

describe('page weight: compression and versioned assets', function () {
  this.timeout(60_000)
  let host: TestHost
  let client: TestClient
  let cookie: string

  before(async () => {
    host = await startTestHost({ plugins: { hello: { enabled: true } } })
    client = (await host.signedIn()).client
    cookie = client.cookieHeader()
  })
  after(async () => { await host?.stop() })

  const signedIn = (headers: Record<string, string> = {}) => ({ ...BROWSER, Cookie: cookie, ...headers })

  async function dashboardAssets(): Promise<string[]> {
    const page = await getRaw(`${host.url}/`, signedIn())
    return assetUrlsOf(page.text())
  }

  it(`keeps a cold dashboard load under ${BUDGET_BYTES / 1024} KB on the wire`, async () => {
    const page = await getRaw(`${host.url}/`, signedIn())
    expect(page.status).to.equal(200)
    const html = page.text()
    const assets = assetUrlsOf(html)
    // Widget bodies are fetched by htmx as soon as the page loads: part of a cold load too.
    const fragments = [...html.matchAll(/hx-get="(\/widgets\/[^"]+)"/g)].map((m) => m[1])
    expect(assets).to.have.length.at.least(3)
    const parts: Array<[string, number]> = [['/ (HTML)', page.body.length]]
    let uncompressed = Buffer.byteLength(html)
    for (const url of assets) {
      const res = await getRaw(host.url + url, signedIn())
      expect(res.status, url).to.equal(200)
      parts.push([url, res.body.length])
      uncompressed += Buffer.byteLength(res.text())
    }
    for (const url of fragments) {
      const res = await getRaw(host.url + url, signedIn({ 'HX-Request': 'true', 'HX-Request-Type': 'partial' }))
      expect(res.status, url).to.equal(200)
      parts.push([url, res.body.length])
      uncompressed += Buffer.byteLength(res.text())
    }
    const total = parts.reduce((sum, [, n]) => sum + n, 0)
    console.log(`      cold dashboard: ${(total / 1024).toFixed(1)} KB, ${(uncompressed / 1024).toFixed(1)} KB uncompressed (${parts.map(([u, n]) => `${u} ${n}`).join(', ')})`)
    expect(total).to.be.at.most(BUDGET_BYTES)
  })

  it('links every asset under a versioned URL that is cached for a year, immutable', async () => {
    const assets = await dashboardAssets()
    for (const url of assets) {
      expect(url).to.match(/\.[0-9a-f]{12}\.[a-z.]+$/)
      const res = await getRaw(host.url + url, BROWSER)
      expect(res.headers['cache-control'], url).to.equal('public, max-age=31536000, immutable')
    }
  })

  it('keeps the one stylesheet under 12 KB compressed, served without its comments', async () => {
    const css = (await dashboardAssets()).find((u) => u.includes('/public/medianest.'))!
    const gzip = await getRaw(host.url + css, { 'Accept-Encoding': 'gzip' })
    expect(gzip.headers['content-encoding']).to.equal('gzip')
    expect(gzip.body.length).to.be.below(12 * 1024)
    expect(gzip.text()).to.include('.poster-grid{').and.not.include('/*')
  })

  it('sends brotli and gzip as asked, and the plain file to a client that takes neither', async () => {
    const htmx = (await dashboardAssets()).find((u) => u.includes('/vendor/htmx.'))!
    const plain = await getRaw(host.url + htmx)
    expect(plain.headers['content-encoding']).to.equal(undefined)
    expect(plain.body.toString()).to.include('htmx')
    const br = await getRaw(host.url + htmx, { 'Accept-Encoding': 'br, gzip' })
    expect(br.headers['content-encoding']).to.equal('br')
    expect(br.text()).to.equal(plain.body.toString())
    expect(br.body.length).to.be.below(plain.body.length / 2)
    const gzip = await getRaw(host.url + htmx, { 'Accept-Encoding': 'gzip, deflate' })
    expect(gzip.headers['content-encoding']).to.equal('gzip')
    expect(gzip.text()).to.equal(plain.body.toString())
    expect(br.headers.vary).to.include('Accept-Encoding')
    const refused = await getRaw(host.url + htmx, { 'Accept-Encoding': 'br;q=0, gzip' })
    expect(refused.headers['content-encoding']).to.equal('gzip')
  })

  it('compresses rendered pages too, and adds no ETag to them', async () => {
    for (const encoding of ['br', 'gzip']) {
      const res = await getRaw(`${host.url}/account`, signedIn({ 'Accept-Encoding': encoding }))
      expect(res.status).to.equal(200)
      expect(res.headers['content-encoding']).to.equal(encoding)
      expect(res.text()).to.match(/^<!doctype html>/)
      expect(res.headers.etag).to.equal(undefined)
    }
  })

  it('serves an old hash with the current file, not cached as immutable', async () => {
    const css = (await dashboardAssets()).find((u) => u.endsWith('.css'))!
    const old = css.replace(/\.[0-9a-f]{12}\./, '.0123456789ab.')
    const res = await getRaw(host.url + old, BROWSER)
    expect(res.status).to.equal(200)
    expect(res.headers['content-type']).to.match(/^text\/css/)
    expect(res.headers['cache-control']).to.equal('public, no-cache')
  })

  it('answers 404 for a versioned name it does not know, and still serves the unversioned URLs with ETag and 304', async () => {
    expect((await getRaw(`${host.url}/vendor/nothing.0123456789ab.min.js`, BROWSER)).status).to.equal(404)
    for (const url of ['/public/medianest.css', '/vendor/htmx.min.js', '/vendor/hx-sse.min.js']) {
      const first = await getRaw(host.url + url, BROWSER)
      expect(first.status, url).to.equal(200)
      expect(first.headers['content-encoding'], url).to.equal('br')
      expect(first.headers['cache-control'], url).to.equal('public, no-cache')
      expect(first.headers.etag, url).to.be.a('string')
      const again = await getRaw(host.url + url, { ...BROWSER, 'If-None-Match': first.headers.etag! })
      expect(again.status, url).to.equal(304)
    }
  })

  it('answers a versioned asset with 304 when the browser already has it', async () => {
    const css = (await dashboardAssets()).find((u) => u.endsWith('.css'))!
    const first = await getRaw(host.url + css, BROWSER)
    const again = await getRaw(host.url + css, { ...BROWSER, 'If-None-Match': String(first.headers.etag) })
    expect(again.status).to.equal(304)
    expect(again.body.length).to.equal(0)
  })

  it('never compresses the live stream, and each message arrives as soon as it is published', async () => {
    const { client: own, user } = await host.signedIn()
    const stream = await openStream(`${host.url}/events`, signedIn({ Accept: 'text/event-stream', Cookie: own.cookieHeader() }))
    try {
      expect(stream.res.statusCode).to.equal(200)
      expect(stream.res.headers['content-type']).to.match(/^text\/event-stream/)
      expect(stream.res.headers['content-encoding']).to.equal(undefined)
      await waitFor('the retry line', () => stream.received().includes('retry:'), 2_000)
      // Big enough to be compressed if it were a page.
      const html = `<p id="weight-live">${'x'.repeat(4000)}</p>`
      await host.app.core.live.publish('message', html, { userId: user.id })
      await waitFor('the published fragment', () => stream.received().includes('weight-live'), 2_000)
    } finally {
      stream.close()
    }
  })
})
