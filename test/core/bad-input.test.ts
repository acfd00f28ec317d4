import zlib from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import type { ClientResponse } from '../support/http-client.ts'
import { toCount } from '../../core/db.ts'

const errorsPlugins = fileURLToPath(new URL('../fixtures/first-party-errors', import.meta.url))

describe('http: bad input is the sender\'s error, never a 500', function () {
  this.timeout(60_000)
  let host: TestHost
  let serverErrorsBefore = 0

  const serverErrors = async () => toCount((await host.db('error_logs').where('status_code', '>=', 500).count('* as n').first())?.n)

  before(async () => {
    host = await startTestHost({ firstPartyDir: errorsPlugins, plugins: { explode: { enabled: true } } })
    serverErrorsBefore = await serverErrors()
  })
  after(async () => { await host.stop() })

  /** The answer says what was wrong, shows no internals, and wrote no row of its own. */
  async function expectRefused(res: ClientResponse | Response, status: number, message: string): Promise<string> {
    const text = 'text' in res && typeof res.text === 'string' ? res.text : await (res as Response).text()
    expect(res.status, text.slice(0, 300)).to.equal(status)
    expect(text).to.contain(message)
    expect(text).not.to.match(/Something went wrong|\bat [\w.<>]+ \(|node_modules|invalid byte sequence/)
    const id = res.headers.get('x-request-id')!
    expect(await host.db('error_logs').where({ correlation_id: id }).first()).to.equal(undefined)
    return text
  }

  const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
    fetch(`${host.url}${path}`, { method: 'POST', body, headers: { Accept: 'text/html', ...headers }, redirect: 'manual' })

  describe('NUL characters', () => {
    it('refuses a NUL in a sign-in field, anonymously, with 400', async () => {
      const client = host.client()
      await client.get('/login')
      const res = await client.post('/login', { email: 'someone\u0000@example.com', password: 'whatever it is' })
      await expectRefused(res, 400, 'contains a NUL character')
    })

    it('refuses a NUL in a field name, in a JSON body, in the query and in a path segment', async () => {
      const { client } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
      await expectRefused(await client.post('/login', { 'e\u0000mail': 'x' }), 400, 'contains a NUL character')
      await expectRefused(await post('/login', JSON.stringify({ nested: { list: ['ok', 'b\u0000d'] } }), { 'Content-Type': 'application/json' }), 400, 'contains a NUL character')
      await expectRefused(await client.get('/admin/errors?user=a%00b'), 400, 'contains a NUL character')
      await expectRefused(await client.get('/admin/users/%00'), 400, 'contains a NUL character')
    })

    it('answers 400, not 500, when PostgreSQL itself refuses text (22021) made past the request check', async () => {
      const { client } = await host.signedIn()
      await expectRefused(await client.get('/explode/unstorable'), 400, 'cannot be stored')
    })
  })

  describe('bodies body-parser refuses', () => {
    it('answers too many form fields with 413', async () => {
      const form = new URLSearchParams(Array.from({ length: 250 }, (_, i): [string, string] => [`f${i}`, 'x']))
      await expectRefused(await post('/login', form.toString(), { 'Content-Type': 'application/x-www-form-urlencoded' }), 413, 'too many fields')
    })

    it('answers an unsupported charset with 415, for forms and JSON', async () => {
      await expectRefused(await post('/login', 'email=x', { 'Content-Type': 'application/x-www-form-urlencoded; charset=koi8-r' }), 415, 'character set')
      await expectRefused(await post('/login', '{}', { 'Content-Type': 'application/json; charset=latin1' }), 415, 'character set')
    })

    it('answers an unsupported content encoding with 415', async () => {
      await expectRefused(await post('/login', 'email=x', { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'compress' }), 415, 'compressed in a way')
    })

    it('answers a damaged gzip body with 400', async () => {
      const damaged = zlib.gzipSync(Buffer.from('email=someone%40example.com&password=x')).subarray(0, 20)
      await expectRefused(await post('/login', damaged, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'gzip' }), 400, 'compressed data is damaged')
      await expectRefused(await post('/login', 'not gzip at all', { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': 'gzip' }), 400, 'compressed data is damaged')
    })

    it('answers malformed JSON with 400', async () => {
      await expectRefused(await post('/login', '{"email": ', { 'Content-Type': 'application/json' }), 400, 'could not be read')
    })
  })

  describe('htmx headers', () => {
    for (const current of ['not a url', 'http://[::1', '%%%']) {
      it(`sends an anonymous htmx request with HX-Current-URL "${current}" to sign in, landing on /`, async () => {
        const res = await host.client().get('/admin/errors', { htmx: true, headers: { 'HX-Current-URL': current } })
        expect(res.status).to.equal(401)
        expect(res.headers.get('hx-redirect')).to.equal('/login?next=%2F')
      })
    }

    it('still keeps the page of a well-formed HX-Current-URL', async () => {
      const res = await host.client().get('/admin/errors', { htmx: true, headers: { 'HX-Current-URL': `${host.url}/account/sessions?x=1` } })
      expect(res.headers.get('hx-redirect')).to.equal('/login?next=%2Faccount%2Fsessions')
    })
  })

  describe('afterwards', () => {
    it('wrote no server error rows for any of it', async () => {
      await host.app.errorRecorder.flush()
      expect(await serverErrors()).to.equal(serverErrorsBefore)
    })
  })
})
