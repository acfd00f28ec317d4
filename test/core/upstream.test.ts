import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import { z } from 'zod'
import { createUpstreamClient, encodeRfc3986, redactUrl, resetBreakers } from '../../core/upstream.ts'
import { createLogger } from '../../core/log.ts'
import { UpstreamError } from '../../core/plugin-api.ts'

const log = createLogger('error', false, true)
/** Bytes that are neither UTF-8 nor JSON, sent as JSON: a bytes call must hand them back untouched. */
const POSTER = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00, 0x7b, 0x80])

describe('upstream client: fetch + timeout + zod + UpstreamError', function () {
  this.timeout(20_000)
  let server: http.Server
  let base: string
  const hits: Record<string, number> = {}
  const seen: Array<{ url: string; headers: http.IncomingHttpHeaders }> = []

  before(async () => {
    server = http.createServer((req, res) => {
      const path = req.url!.split('?')[0]
      hits[path] = (hits[path] ?? 0) + 1
      seen.push({ url: req.url!, headers: req.headers })
      if (path === '/ok') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"version":"1.33.2"}')
      // Never answers: the client's timeout or abort ends it (and after() closes what is left).
      if (path === '/slow') return
      if (path === '/garbage') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html>not json')
      if (path === '/shape') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"version":42}')
      if (path === '/fail') return res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"message":"database is locked"}')
      if (path.startsWith('/broken/')) return res.writeHead(502).end()
      if (path === '/forbidden') return res.writeHead(403).end()
      if (path === '/flaky') return hits[path] < 3 ? res.writeHead(503).end() : res.writeHead(200).end('{"version":"ok"}')
      if (path === '/big') return res.writeHead(200).end('x'.repeat(5000))
      if (path === '/poster') return res.writeHead(200, { 'Content-Type': 'application/json' }).end(POSTER)
      if (path === '/conflict') return res.writeHead(409, { 'Content-Type': 'application/json' }).end('{"message":"already requested"}')
      res.writeHead(404).end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) }))
  beforeEach(() => resetBreakers())

  const client = (extra: Record<string, unknown> = {}) =>
    createUpstreamClient({ service: 'Overseerr', baseUrl: base, timeoutMs: 500, headers: { 'X-Api-Key': 'k' }, ...extra }, log)
  const failure = async (work: Promise<unknown>): Promise<UpstreamError> => {
    try { await work } catch (e) { if (e instanceof UpstreamError) return e; throw e }
    throw new Error('expected an UpstreamError')
  }
  const Status = z.object({ version: z.string() })

  it('returns the validated answer and sends the configured headers', async () => {
    expect(await client().get('/ok', Status)).to.deep.equal({ version: '1.33.2' })
    expect(seen.at(-1)!.headers['x-api-key']).to.equal('k')
    expect(seen.at(-1)!.headers.accept).to.equal('application/json')
  })

  it('gives up at the timeout and says so in words', async () => {
    const e = await failure(client().get('/slow', Status, { timeoutMs: 200 }))
    expect(e.message).to.equal(`Overseerr: did not answer within 0.2 s (${base}/slow)`)
    expect(e.status).to.equal(502)
  })

  it('names a refused connection', async () => {
    const closed = http.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const e = await failure(createUpstreamClient({ service: 'Plex', baseUrl: `http://127.0.0.1:${port}` }, log).get('/identity'))
    expect(e.why).to.equal('refused the connection (is it running, and is the address right?)')
  })

  it('refuses garbage and answers of the wrong shape', async () => {
    expect((await failure(client().get('/garbage', Status))).why).to.equal('answered with something that is not valid JSON')
    expect((await failure(client().get('/shape', Status))).why).to.match(/^answered in a shape MediaNest does not understand \(.* at version\)$/)
  })

  it('reports the upstream message on a 5xx, and a refused key on 401/403', async () => {
    expect((await failure(client().get('/fail'))).why).to.equal('failed on its side (HTTP 500): database is locked')
    expect((await failure(client().get('/forbidden'))).why).to.equal('refused the credentials (HTTP 403)')
  })

  it('retries idempotent GETs a little, and never POSTs', async () => {
    hits['/flaky'] = 0
    expect(await client().get('/flaky', Status)).to.deep.equal({ version: 'ok' })
    expect(hits['/flaky']).to.equal(3)
    hits['/fail'] = 0
    await failure(client().request({ method: 'POST', path: '/fail', body: {} }))
    expect(hits['/fail']).to.equal(1)
  })

  it('caps the size of an answer', async () => {
    expect((await failure(client({ maxBytes: 1000 }).get('/big'))).why).to.include('more than the 1000 bytes accepted')
  })

  it('returns accepted non-2xx answers instead of throwing', async () => {
    const res = await client().request({ method: 'POST', path: '/conflict', body: {}, accept: [409] })
    expect(res.status).to.equal(409)
    expect(res.data).to.deep.equal({ message: 'already requested' })
  })

  it('keeps calling a service whose one resource keeps answering 500: other paths, and that path too', async () => {
    hits['/fail'] = 0
    hits['/ok'] = 0
    for (let i = 0; i < 8; i++) await failure(client().request({ method: 'POST', path: '/fail' }))
    expect(await client().get('/ok', Status)).to.deep.equal({ version: '1.33.2' })
    expect((await failure(client().request({ method: 'POST', path: '/fail' }))).why).to.equal('failed on its side (HTTP 500): database is locked')
    expect(hits['/fail']).to.equal(9)
    expect(hits['/ok']).to.equal(1)
  })

  it('stops calling a service it cannot reach, for a while, after repeated transport failures', async () => {
    const closed = http.createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const plex = createUpstreamClient({ service: 'Plex', baseUrl: `http://127.0.0.1:${port}` }, log)
    for (let i = 0; i < 5; i++) {
      expect((await failure(plex.request({ method: 'POST', path: `/library/${i}` }))).why).to.match(/^refused the connection/)
    }
    const e = await failure(plex.request({ method: 'POST', path: '/identity' }))
    expect(e.why).to.match(/^could not be reached 5 times in the last minute; not trying again for \d+ s$/)
  })

  it('stops calling a service whose 5xx come from several different paths, for a while', async () => {
    hits['/ok'] = 0
    for (const n of [1, 2, 3, 1, 2]) await failure(client().request({ method: 'POST', path: `/broken/${n}` }))
    const e = await failure(client().get('/ok', Status))
    expect(e.why).to.match(/^failed 5 times in the last minute, on 3 different requests; not trying again for \d+ s$/)
    expect(hits['/ok']).to.equal(0)
  })

  it("answers a bytes call with the body's bytes as they came, capped per call", async () => {
    const res = await client().request({ path: '/poster', responseType: 'bytes' })
    expect(Buffer.isBuffer(res.data)).to.equal(true)
    expect(res.data.equals(POSTER)).to.equal(true)
    expect(res.headers.get('content-type')).to.equal('application/json')
    hits['/big'] = 0
    const e = await failure(client().request({ path: '/big', responseType: 'bytes', maxBytes: 4096 }))
    expect(e.why).to.include('more than the 4096 bytes accepted')
    // Too large is too large the next time as well: not tried again.
    expect(hits['/big']).to.equal(1)
    expect((await client().request({ path: '/big', responseType: 'bytes' })).data.length).to.equal(5000)
  })

  it('lets a health check call a service whose breaker is open, without its failures opening it', async () => {
    const check = () => client({ breaker: false, retries: 0 })
    hits['/ok'] = 0
    hits['/fail'] = 0
    for (const n of [1, 2, 3, 1, 2]) await failure(client().request({ method: 'POST', path: `/broken/${n}` }))
    expect((await failure(client().get('/ok', Status))).why).to.match(/not trying again/)
    expect(hits['/ok']).to.equal(0)
    expect(await check().get('/ok', Status)).to.deep.equal({ version: '1.33.2' })
    expect(hits['/ok']).to.equal(1)
    // The check's own success does not close the breaker for everyone else either.
    expect((await failure(client().get('/ok', Status))).why).to.match(/not trying again/)

    resetBreakers()
    for (let i = 0; i < 8; i++) await failure(check().request({ method: 'POST', path: `/broken/${i}` }))
    // retries: 0 — a GET that fails is one attempt.
    expect((await failure(check().get('/fail'))).why).to.equal('failed on its side (HTTP 500): database is locked')
    expect(hits['/fail']).to.equal(1)
    expect(await client().get('/ok', Status)).to.deep.equal({ version: '1.33.2' })
  })

  it('does not count a call its caller cancelled against the service', async () => {
    for (let i = 0; i < 6; i++) {
      const controller = new AbortController()
      const pending = failure(client().request({ method: 'POST', path: '/slow', signal: controller.signal }))
      setTimeout(() => controller.abort(), 20)
      expect((await pending).why).to.equal('the request was cancelled')
    }
    expect(await client().get('/ok', Status)).to.deep.equal({ version: '1.33.2' })
  })

  it('redacts secrets carried in the path (redact option) from its errors', async () => {
    const error = await failure(client({ redact: ['tok-SECRET-42'] }).request({ method: 'POST', path: '/api/webhooks/1/tok-SECRET-42', body: {} }))
    expect(error.message).to.include('/api/webhooks/1/[redacted]').and.not.include('tok-SECRET-42')
  })

  it('encodes query values strictly and redacts secrets from URLs it reports', async () => {
    expect(encodeRfc3986("it's (a) test!*")).to.equal('it%27s%20%28a%29%20test%21%2A')
    expect(redactUrl('http://x/a?X-Plex-Token=abc&q=1&api_key=zzz')).to.equal('http://x/a?X-Plex-Token=[redacted]&q=1&api_key=[redacted]')
    await client().get('/ok', Status, { query: { query: "it's (a) test" } })
    expect(seen.at(-1)!.url).to.equal('/ok?query=it%27s%20%28a%29%20test')
  })
})
