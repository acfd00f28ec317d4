import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { bootProblems, startTestHost, type TestHost } from '../support/test-host.ts'
import { logDuring } from '../support/log-capture.ts'
import { startOfRateWindow } from '../support/rate-windows.ts'
import { clock } from '../../core/clock.ts'
import { fieldAad } from '../../core/services/configs.ts'
import { signBody } from '../../core/webhooks/verify.ts'
import { deleteOldDeliveries } from '../../core/webhooks/deliveries.ts'

const TOUR = fileURLToPath(new URL('../fixtures/plugins/api-tour', import.meta.url))
const PLUGIN_API = fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))
const HOOK_SECRET = 'overseerr-shared-secret-1234'
const SIGNING_SECRET = 'tour-signing-secret-5678'

interface Answer { status: number; headers: Headers; text: string; json: any }

describe('webhooks: machine-to-machine POSTs verified by a secret', function () {
  this.timeout(60_000)
  let host: TestHost

  const post = async (hookPath: string, body: string | Uint8Array, headers: Record<string, string> = {}, method = 'POST'): Promise<Answer> => {
    const res = await fetch(`${host.url}${hookPath}`, {
      method, headers: { 'Content-Type': 'application/json', ...headers }, body: method === 'GET' ? undefined : body,
    })
    const text = await res.text()
    let json: unknown
    try { json = JSON.parse(text) } catch { json = undefined }
    return { status: res.status, headers: res.headers, text, json }
  }
  const deliveries = (id: string) => host.db('api_tour_seen').where({ subscription: `webhook:${id}` }).orderBy('id')
  const configureHookSecret = async (secret: string | null) => {
    await host.db('service_configs').where({ service_name: 'api-tour-hooks' }).del()
    await host.db('service_configs').insert({
      service_name: 'api-tour-hooks', service_url: 'http://127.0.0.1:9/', enabled: true,
      config_data: JSON.stringify({ region: 'eu' }),
      sealed_fields: JSON.stringify(secret ? { webhookSecret: host.app.core.secrets.encrypt(secret, fieldAad('api-tour-hooks', 'webhookSecret')) } : {}),
    })
  }

  before(async () => {
    host = await startTestHost({ plugins: { 'api-tour': { enabled: true, source: TOUR, config: { signingSecret: SIGNING_SECRET } } } })
  })
  after(async () => { await host.stop() })
  afterEach(() => clock.reset())

  it('refuses every delivery while the secret is not configured', async () => {
    const res = await post('/api-tour/hooks/overseerr', '{"event":"test"}', { Authorization: '' })
    expect(res.status).to.equal(401)
    expect(res.json.error).to.match(/not configured/)
    const again = await post('/api-tour/hooks/overseerr', '{"event":"test"}', { Authorization: 'anything' })
    expect(again.status).to.equal(401)
    expect(await deliveries('overseerr')).to.have.length(0)
  })

  it('hands a delivery with the right shared secret to the handler, raw bytes and parsed JSON', async () => {
    await configureHookSecret(HOOK_SECRET)
    const body = '{"notification_type":"MEDIA_APPROVED",  "subject":"Dune"}'
    const res = await post('/api-tour/hooks/overseerr', body, { Authorization: HOOK_SECRET })
    expect(res.status).to.equal(202)
    expect(res.json).to.deep.equal({ received: true })
    expect(res.headers.get('content-type')).to.match(/^application\/json/)
    const [seen] = await deliveries('overseerr')
    expect(seen.payload.body).to.equal(body)
    expect(seen.payload.json).to.deep.equal({ notification_type: 'MEDIA_APPROVED', subject: 'Dune' })
    expect(seen.event).to.equal(res.headers.get('x-request-id'))
    // The proof itself is not handed on: a handler cannot log what it never gets.
    expect(seen.payload.headers).to.not.have.property('authorization')
  })

  it('refuses a missing or wrong secret with 401, one log line, and neither the secret nor the body in it', async () => {
    await configureHookSecret(HOOK_SECRET)
    const before = (await deliveries('overseerr')).length
    const errorRows = Number((await host.db('error_logs').count('* as n').first())!.n)
    const lines = await logDuring(host.app.log, 'debug', async () => {
      const missing = await post('/api-tour/hooks/overseerr', '{"private":"body-text-xyz"}')
      expect(missing.status).to.equal(401)
      expect(missing.json).to.deep.equal({ error: 'The delivery could not be verified.' })
    })
    const wrongLines = await logDuring(host.app.log, 'debug', async () => {
      const wrong = await post('/api-tour/hooks/overseerr', '{"private":"body-text-xyz"}', { Authorization: 'not-the-secret-guess' })
      expect(wrong.status).to.equal(401)
    })
    for (const captured of [lines, wrongLines]) {
      expect(captured, JSON.stringify(captured)).to.have.length(1)
      const text = JSON.stringify(captured)
      expect(text).to.include('webhook api-tour/overseerr refused a delivery')
      expect(text).to.not.include(HOOK_SECRET).and.not.include('not-the-secret-guess').and.not.include('body-text-xyz')
    }
    expect((await deliveries('overseerr')).length).to.equal(before)
    // Anonymous refusals write no rows.
    expect(Number((await host.db('error_logs').count('* as n').first())!.n)).to.equal(errorRows)
  })

  it('checks an HMAC over the timestamp and the raw body, and refuses a bad signature or a replay', async () => {
    const body = '{"monitor":"plex","status":"down"}'
    const now = Math.floor(Date.now() / 1000)
    const good = await post('/api-tour/hooks/signed/v1', body, { 'X-Signature': `sha256=${signBody(SIGNING_SECRET, body, now)}`, 'X-Timestamp': String(now) })
    expect(good.status).to.equal(202)
    expect((await deliveries('signed')).map((d) => d.payload.body)).to.deep.equal([body])

    const tampered = await post('/api-tour/hooks/signed/v1', body.replace('down', 'up'), { 'X-Signature': `sha256=${signBody(SIGNING_SECRET, body, now)}`, 'X-Timestamp': String(now) })
    expect(tampered.status).to.equal(401)
    const otherKey = await post('/api-tour/hooks/signed/v1', body, { 'X-Signature': `sha256=${signBody('another-key', body, now)}`, 'X-Timestamp': String(now) })
    expect(otherKey.status).to.equal(401)
    const noPrefix = await post('/api-tour/hooks/signed/v1', body, { 'X-Signature': signBody(SIGNING_SECRET, body, now), 'X-Timestamp': String(now) })
    expect(noPrefix.status).to.equal(401)
    const stale = now - 3600
    const replay = await post('/api-tour/hooks/signed/v1', body, { 'X-Signature': `sha256=${signBody(SIGNING_SECRET, body, stale)}`, 'X-Timestamp': String(stale) })
    expect(replay.status).to.equal(401)
    const future = now + 3600
    const early = await post('/api-tour/hooks/signed/v1', body, { 'X-Signature': `sha256=${signBody(SIGNING_SECRET, body, future)}`, 'X-Timestamp': String(future) })
    expect(early.status).to.equal(401)
    const noStamp = await post('/api-tour/hooks/signed/v1', body, { 'X-Signature': `sha256=${signBody(SIGNING_SECRET, body)}` })
    expect(noStamp.status).to.equal(401)
    expect(await deliveries('signed')).to.have.length(1)
  })

  it('answers 413 to a 10 MB body without handing it on', async () => {
    await configureHookSecret(HOOK_SECRET)
    const began = Date.now()
    const res = await post('/api-tour/hooks/overseerr', new Uint8Array(10 * 1024 * 1024).fill(32), { Authorization: HOOK_SECRET })
    expect(res.status).to.equal(413)
    expect(res.json.error).to.match(/larger than 262144 bytes/)
    expect(Date.now() - began).to.be.below(5000)
    const small = await post('/api-tour/hooks/limited', 'x'.repeat(2000), { Authorization: 'Bearer limited-secret' })
    expect(small.status).to.equal(413)
  })

  it('answers 400 to malformed JSON on a JSON webhook, after verifying it', async () => {
    await configureHookSecret(HOOK_SECRET)
    const before = (await deliveries('overseerr')).length
    const res = await post('/api-tour/hooks/overseerr', '{"not json', { Authorization: HOOK_SECRET })
    expect(res.status).to.equal(400)
    expect(res.json).to.deep.equal({ error: 'The body is not valid JSON.' })
    const unverified = await post('/api-tour/hooks/overseerr', '{"not json')
    expect(unverified.status).to.equal(401)
    expect((await deliveries('overseerr')).length).to.equal(before)
  })

  it('answers 400 to an escaped NUL anywhere in a JSON body (a value, a key, deep inside), and runs nothing', async () => {
    await configureHookSecret(HOOK_SECRET)
    const before = (await deliveries('overseerr')).length
    const deep = `${'['.repeat(5000)}"a\\u0000"${']'.repeat(5000)}`
    for (const body of ['{"subject":"a\\u0000b"}', '{"a\\u0000":1}', '{"list":[1,{"x":["\\u0000"]}]}', deep]) {
      const res = await post('/api-tour/hooks/overseerr', body, { Authorization: HOOK_SECRET })
      expect(res.status, body.slice(0, 40)).to.equal(400)
      expect(res.json.error).to.equal('The body holds a NUL character (\\u0000), which MediaNest does not accept.')
    }
    // An escaped backslash before "u0000" is no NUL.
    expect((await post('/api-tour/hooks/overseerr', '{"path":"C:\\\\u0000"}', { Authorization: HOOK_SECRET })).status).to.equal(202)
    expect((await deliveries('overseerr')).length).to.equal(before + 1)
  })

  it('answers a repeated delivery 200 duplicate without running the handler again', async () => {
    await configureHookSecret(HOOK_SECRET)
    const before = (await deliveries('overseerr')).length
    const headers = { Authorization: HOOK_SECRET, 'X-Delivery': 'delivery-42' }
    const first = await post('/api-tour/hooks/overseerr', '{"n":1}', headers)
    const second = await post('/api-tour/hooks/overseerr', '{"n":1}', headers)
    expect(first.status).to.equal(202)
    expect(second.status).to.equal(200)
    expect(second.json).to.deep.equal({ duplicate: true })
    expect((await deliveries('overseerr')).length).to.equal(before + 1)
    const rows = await host.db('webhook_deliveries').where({ plugin: 'api-tour', webhook: 'overseerr', dedupe_key: 'delivery-42' })
    expect(rows).to.have.length(1)
    // The retention schedule removes keys older than a week, and only those.
    await host.db('webhook_deliveries').where({ id: rows[0].id }).update({ received_at: new Date(Date.now() - 8 * 24 * 3600_000) })
    await host.db('webhook_deliveries').insert({ plugin: 'api-tour', webhook: 'overseerr', dedupe_key: 'fresh-one' })
    expect(await deleteOldDeliveries(host.db)).to.equal(1)
    expect((await host.db('webhook_deliveries').where({ plugin: 'api-tour' })).map((r) => r.dedupe_key)).to.deep.equal(['fresh-one'])
  })

  it('treats a request with a valid session cookie and no CSRF token as just a webhook', async () => {
    await configureHookSecret(HOOK_SECRET)
    const { client } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const cookie = ['mn_session', '__Host-mn_session'].map((n) => client.cookie(n)).find(Boolean)
    expect(cookie, 'the signed-in client has a session cookie').to.be.a('string')
    const cookieHeader = `mn_session=${cookie}; __Host-mn_session=${cookie}`
    const res = await post('/api-tour/hooks/overseerr', '{"cookie":"ignored"}', { Authorization: HOOK_SECRET, Cookie: cookieHeader })
    expect(res.status).to.equal(202)
    expect(res.headers.get('set-cookie')).to.equal(null)
    const last = (await deliveries('overseerr')).at(-1)!
    expect(last.payload.json).to.deep.equal({ cookie: 'ignored' })
    expect(last.payload.headers).to.not.have.property('cookie')
    // With the cookie but without the secret it is still refused: the session proves nothing here.
    const noSecret = await post('/api-tour/hooks/overseerr', '{"cookie":"ignored"}', { Cookie: cookieHeader })
    expect(noSecret.status).to.equal(401)
  })

  it('limits deliveries per source address, answering 429 in JSON', async () => {
    await host.db('rate_limits').where({ endpoint: 'webhook:api-tour:limited' }).del()
    startOfRateWindow(60_000)
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) statuses.push((await post('/api-tour/hooks/limited', '{}', { Authorization: 'Bearer limited-secret' })).status)
    expect(statuses).to.deep.equal([200, 200, 200])
    const refused = await post('/api-tour/hooks/limited', '{}', { Authorization: 'Bearer limited-secret' })
    expect(refused.status).to.equal(429)
    expect(refused.json.error).to.match(/Too many requests/)
    expect(refused.headers.get('retry-after')).to.match(/^\d+$/)
  })

  it('answers 405 to a GET, 404 to an unknown path, both in JSON', async () => {
    const get = await post('/api-tour/hooks/overseerr', '', {}, 'GET')
    expect(get.status).to.equal(405)
    expect(get.headers.get('allow')).to.equal('POST')
    expect(get.json.error).to.be.a('string')
    const unknown = await post('/api-tour/hooks/nothing-here', '{}', { Authorization: HOOK_SECRET })
    expect(unknown.status).to.equal(404)
    expect(unknown.json.error).to.include('There is no webhook at /api-tour/hooks/nothing-here')
  })

  it('answers 500 with the request id when the handler throws, logged and in error_logs', async () => {
    let res: Answer | undefined
    const lines = await logDuring(host.app.log, 'error', async () => {
      res = await post('/api-tour/hooks/broken', '{}', { Authorization: 'broken-secret' })
    })
    expect(res!.status).to.equal(500)
    expect(res!.json.requestId).to.equal(res!.headers.get('x-request-id'))
    expect(JSON.stringify(lines)).to.include('the tour handler broke on purpose')
    const row = await host.db('error_logs').where({ correlation_id: res!.json.requestId }).first()
    expect(row).to.include({ status_code: 500, request_method: 'POST' })
  })
})

describe('webhooks: what the host refuses at boot', function () {
  this.timeout(60_000)

  it('refuses a path clash, a bad path, a missing or unknown verify and a missing handler, naming the plugin', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-bad-hooks-'))
    fs.writeFileSync(path.join(dir, 'index.ts'), `
import { definePlugin } from ${JSON.stringify(PLUGIN_API)}
const verify = { kind: 'shared-secret', header: 'Authorization', secret: () => 'x' }
export default definePlugin({ name: 'bad-hooks', version: '1.0.0', api: '^1.1.0', register() { return { webhooks: [
  { id: 'one', path: 'same', verify, handle() {} },
  { id: 'two', path: 'same', verify, handle() {} },
  { id: 'up', path: '../admin', verify, handle() {} },
  { id: 'abs', path: '/abs', verify, handle() {} },
  { id: 'open', path: 'open', handle() {} },
  { id: 'odd', path: 'odd', verify: { kind: 'none', header: 'X', secret: () => 'x' }, handle() {} },
  { id: 'lazy', path: 'lazy', verify },
  { id: 'one', path: 'again', verify, handle() {} },
] } } })
`)
    const problems = await bootProblems({ 'bad-hooks': { enabled: true, source: dir } }, () => fs.rmSync(dir, { recursive: true, force: true }))
    expect(problems).to.deep.equal([
      'plugin "bad-hooks": webhook "two": its path "same" clashes with webhook "one" (each path answers one webhook)',
      'plugin "bad-hooks": webhook "up": path "../admin" must be a relative path of lower-case letters, digits and dashes (segments separated by single slashes, no \'..\'), e.g. \'requests\' or \'sonarr/grab\'',
      'plugin "bad-hooks": webhook "abs": path "/abs" must be a relative path of lower-case letters, digits and dashes (segments separated by single slashes, no \'..\'), e.g. \'requests\' or \'sonarr/grab\'',
      'plugin "bad-hooks": webhook "open": declare how a delivery proves itself: verify { kind: \'shared-secret\' | \'hmac-sha256\', header, secret }',
      'plugin "bad-hooks": webhook "odd": verify.kind "none" is not one of \'shared-secret\', \'hmac-sha256\'',
      'plugin "bad-hooks": webhook "lazy": handle(delivery) must be a function',
      'plugin "bad-hooks": two webhooks share the id "one"',
    ])
  })
})
