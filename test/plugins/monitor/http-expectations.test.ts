// HTTP expectations on a check (issue 32, part 7): method, headers, basic auth (sealed,
// never shown or logged, never sent after a redirect to another host), status range,
// keyword present or absent, a JSON path's value; refused on the admin's form with each
// error beside its field and nothing saved, and in the config at boot.
import http from 'node:http'
import { expect } from 'chai'
import type { TestHost } from '../../support/test-host.ts'
import { listenOnFreePort } from '../../support/ports.ts'
import { waitFor } from '../../support/wait-for.ts'
import { logDuring } from '../../support/log-capture.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'
import { monitorConfig } from '../../../plugins/monitor/plugin-config.ts'
import { runDueChecks } from '../../../plugins/monitor/checks.ts'
import { readExpectations } from '../../../plugins/monitor/http-expectations.ts'
import { addService, clearMonitor, signedInAdmin, startMonitorHost } from './monitor-harness.ts'

interface Seen { method: string; path: string; headers: http.IncomingHttpHeaders }

/** Answers by path and remembers every request it got. */
async function startEcho() {
  const seen: Seen[] = []
  let other = ''
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, path: req.url!, headers: req.headers })
    req.resume()
    const url = new URL(req.url!, 'http://x')
    switch (url.pathname) {
      case '/health': return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'ok', db: { healthy: true, lagMs: 12 } }))
      case '/sick': return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'degraded', db: { healthy: false } }))
      case '/page': return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<p>Down for maintenance</p>')
      case '/not-json': return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<p>hello</p>')
      case '/secret': {
        const ok = req.headers.authorization === `Basic ${Buffer.from('monitor:pa:ss wörd').toString('base64')}`
        return void res.writeHead(ok ? 200 : 401).end(ok ? 'welcome' : 'who are you?')
      }
      case '/away': return void res.writeHead(302, { Location: `${other}/landed` }).end()
      case '/keep-method': return void res.writeHead(307, { Location: '/landed' }).end()
      case '/to-get': return void res.writeHead(302, { Location: '/landed' }).end()
      default: return void res.writeHead(200).end('landed')
    }
  })
  const port = await listenOnFreePort((p) => new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(p, '127.0.0.1', () => resolve(p))
  }))
  return {
    url: `http://127.0.0.1:${port}`, seen,
    pointAwayTo(address: string) { other = address },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

describe('monitor: HTTP expectations', function () {
  this.timeout(60_000)
  let host: TestHost
  let ctx: MonitorContext
  let echo: Awaited<ReturnType<typeof startEcho>>
  let elsewhere: Awaited<ReturnType<typeof startEcho>>

  before(async () => {
    echo = await startEcho()
    elsewhere = await startEcho()
    ;({ host, ctx } = await startMonitorHost({ interval: '1m', timeout: '2s', retries: 0 }))
  })
  after(async () => {
    await host?.stop()
    await echo?.close()
    await elsewhere?.close()
  })
  beforeEach(async () => {
    await clearMonitor(host)
    echo.seen.length = 0
    elsewhere.seen.length = 0
  })

  const status = (name: string) => host.db('service_status').where({ service_name: name }).first()
  const check = async (name: string, url: string, configData: Record<string, unknown>) => {
    await addService(host, name, url, { configData })
    await runDueChecks(ctx, new Date(), { only: [name], force: true })
    return status(name)
  }

  it('sends the method and headers it is given (a POST says it has no body)', async () => {
    const row = await check('api', `${echo.url}/landed`, { method: 'post', headers: 'X-Api-Key: abc123\nAccept: application/json' })
    expect(row).to.include({ status: 'up', message: 'Answered HTTP 200.' })
    const [req] = echo.seen
    expect(req.method).to.equal('POST')
    expect(req.headers).to.include({ 'x-api-key': 'abc123', accept: 'application/json', 'content-length': '0' })
  })

  it('is up when a JSON path has the expected value, down with what it found when not', async () => {
    expect(await check('json-ok', `${echo.url}/health`, { jsonPath: '$.db.healthy', jsonEquals: 'true' }))
      .to.include({ status: 'up', message: 'Answered HTTP 200 with $.db.healthy as expected.' })
    expect(await check('json-text', `${echo.url}/health`, { jsonPath: '$.status', jsonEquals: 'ok' })).to.include({ status: 'up' })
    expect(await check('json-exists', `${echo.url}/health`, { jsonPath: '$.db.lagMs' })).to.include({ status: 'up' })
    expect(await check('json-bad', `${echo.url}/sick`, { jsonPath: '$.status', jsonEquals: 'ok' }))
      .to.include({ status: 'down', message: 'Answered HTTP 200, but $.status is "degraded", expected "ok".' })
    expect(await check('json-missing', `${echo.url}/sick`, { jsonPath: '$.db.lagMs' }))
      .to.include({ status: 'down', message: 'Answered HTTP 200, but nothing in the answer is at $.db.lagMs.' })
    expect(await check('json-not', `${echo.url}/not-json`, { jsonPath: '$.status' }))
      .to.include({ status: 'down', message: 'Answered HTTP 200, but the answer is not JSON.' })
  })

  it('is down when a keyword that must be absent is on the page', async () => {
    expect(await check('maint', `${echo.url}/page`, { keyword: 'maintenance', keywordAbsent: true }))
      .to.include({ status: 'down', message: 'Answered HTTP 200, but the page says "maintenance".' })
    expect(await check('maint-ok', `${echo.url}/not-json`, { keyword: 'maintenance', keywordAbsent: true }))
      .to.include({ status: 'up', message: 'Answered HTTP 200 without the keyword.' })
  })

  it('repeats the method on a 307, continues with GET after a 302', async () => {
    await check('kept', `${echo.url}/keep-method`, { method: 'DELETE' })
    await check('changed', `${echo.url}/to-get`, { method: 'POST' })
    expect(echo.seen.map((s) => `${s.method} ${s.path}`)).to.deep.equal(['DELETE /keep-method', 'DELETE /landed', 'POST /to-get', 'GET /landed'])
  })

  it('a service with stored settings that do not hold is down saying so (stored before they were checked)', async () => {
    expect(await check('old', `${echo.url}/health`, { jsonPath: 'status' }))
      .to.include({ status: 'down', message: 'Its check settings do not hold (edit the service): A JSON path starts with $, like $.status or $.services[0].healthy.' })
    expect(echo.seen).to.have.length(0)
  })

  describe('on the admin\'s form', () => {
    const formOnce = async (admin: Awaited<ReturnType<typeof signedInAdmin>>['client']) => {
      const form = await admin.get('/admin/services/new')
      return /name="_once" value="([^"]+)"/.exec(form.text)![1]
    }
    const otherService = (fields: Record<string, string>, url = `${echo.url}/secret`) => ({
      service_name: '', service_name_other: 'vault', service_url: url, api_key: '', enabled: '1',
      ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [`field_${k}`, v])),
    })

    it('shows the check settings as fields for an "Other" service', async () => {
      const { client: admin } = await signedInAdmin(host)
      const page = await admin.get('/admin/services/new/type-fields?service_name=', { headers: { 'HX-Request': 'true', 'HX-Request-Type': 'partial' } })
      for (const name of ['method', 'headers', 'basicAuthUser', 'basicAuthPassword', 'keyword', 'keywordAbsent', 'jsonPath', 'jsonEquals']) {
        expect(page.text).to.include(`name="field_${name}"`)
      }
      expect(page.text).to.match(/<textarea name="field_headers"/)
      expect(page.text).to.match(/<input type="password" name="field_basicAuthPassword"/)
    })

    it('refuses bad settings with each message beside its field, the first focused, and saves nothing', async () => {
      const { client: admin } = await signedInAdmin(host)
      const before = await host.db('service_configs').count({ n: '*' }).first()
      const res = await admin.post('/admin/services', {
        ...otherService({
          method: 'FETCH', headers: 'X-Ok: 1\nHost: evil.example', basicAuthUser: 'a:b', expectStatus: '600',
          jsonPath: '$..[', jsonEquals: 'x', interval: 'soon', retries: '99', severity: 'apocalyptic',
        }),
        _once: await formOnce(admin),
      })
      expect(res.status).to.equal(422)
      const beside = (field: string) => new RegExp(`id="admin-service-form-field_${field}-error">([^<]*)<`).exec(res.text)?.[1]
      expect(beside('method')).to.equal('Use one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, not &quot;FETCH&quot;.')
      expect(beside('headers')).to.equal('Header line 2: Host is set by the check itself.')
      expect(beside('basicAuthUser')).to.include('cannot contain &quot;:&quot;')
      expect(beside('expectStatus')).to.equal('Write a status or a range of statuses, like 200 or 200-399.')
      expect(beside('jsonPath')).to.match(/^This JSON path does not parse: /)
      expect(beside('interval')).to.equal('&quot;soon&quot; is not a duration: write it like 30s or 5m.')
      expect(beside('retries')).to.equal('Use a whole number from 0 to 10.')
      expect(beside('severity')).to.equal('Use one of low, medium, high, critical.')
      // The first field in error takes the focus; the form's alert does not steal it.
      expect(res.text).to.match(/name="field_method"[^>]*aria-invalid="true" autofocus/)
      expect((res.text.match(/autofocus/g) ?? []).length).to.equal(1)
      expect(await host.db('service_configs').count({ n: '*' }).first()).to.deep.equal(before)
    })

    it('refuses a 10 KB keyword and a HEAD check that would need a body', async () => {
      const { client: admin } = await signedInAdmin(host)
      const long = await admin.post('/admin/services', { ...otherService({ keyword: 'k'.repeat(10_240) }), _once: await formOnce(admin) })
      expect(long.status).to.equal(422)
      expect(long.text).to.match(/id="admin-service-form-field_keyword-error">Use at most 2000 characters\.</)
      const head = await admin.post('/admin/services', { ...otherService({ method: 'HEAD', keyword: 'welcome' }), _once: await formOnce(admin) })
      expect(head.status).to.equal(422)
      expect(head.text).to.include('A HEAD answer has no body: use GET to look for a keyword or a JSON value.')
      expect(await host.db('service_configs').where({ service_name: 'vault' }).first()).to.equal(undefined)
    })

    it('seals the basic-auth password: used by the check, never shown again, never logged, never sent to another host', async () => {
      const { client: admin } = await signedInAdmin(host)
      const password = 'pa:ss wörd'
      const logged = await logDuring(host.app.log, 'debug', async () => {
        const saved = await admin.post('/admin/services', { ...otherService({ basicAuthUser: 'monitor', basicAuthPassword: password, keyword: 'welcome' }), _once: await formOnce(admin) })
        expect(saved.status, saved.text.slice(0, 400)).to.equal(303)
        const row = await host.db('service_configs').where({ service_name: 'vault' }).first()
        expect(JSON.stringify(row.config_data)).to.not.include(password)
        expect(row.sealed_fields.basicAuthPassword).to.be.a('string').and.not.include(password)

        // Saving it checks it within seconds (core.service.updated), in the job queue: wait for that check.
        const checked = await waitFor('the saved service to be checked', async () => { const r = await status('vault'); return r?.status ? r : undefined }, 30_000)
        expect(checked).to.include({ status: 'up', message: 'Answered HTTP 200 with the keyword.' })
        const test = await admin.post(`/admin/services/${row.id}/test`, {})
        expect(test.text).to.include('Answered HTTP 200 with the keyword.')

        const edit = await admin.get(`/admin/services/${row.id}`)
        expect(edit.text).to.not.include(password)
        expect(edit.text).to.match(/Basic-auth password: <strong[^>]*>set<\/strong>/)

        // Pointed at a page that redirects to another host: the credentials stay behind.
        elsewhere.pointAwayTo(echo.url)
        await host.db('service_configs').where({ id: row.id }).update({ service_url: `${elsewhere.url}/away` })
        echo.seen.length = 0
        elsewhere.seen.length = 0
        await runDueChecks(ctx, new Date(), { only: ['vault'], force: true })
        expect(elsewhere.seen[0].headers.authorization).to.match(/^Basic /)
        expect(echo.seen[0].path).to.equal('/landed')
        expect(echo.seen[0].headers.authorization).to.equal(undefined)
      })
      expect(logged.length).to.be.above(0)
      const text = JSON.stringify(logged)
      expect(text).to.not.include(password)
      expect(text).to.not.include(Buffer.from(`monitor:${password}`).toString('base64'))
    })
  })

  describe('in the config', () => {
    const refusal = (check: Record<string, unknown>) => {
      const parsed = monitorConfig.safeParse({ checks: [{ name: 'api', url: 'http://127.0.0.1:1/', ...check }] })
      return parsed.success ? null : parsed.error.issues.map((i) => i.message).join(' | ')
    }

    it('takes the same settings as a service, with the same rules', () => {
      expect(refusal({ method: 'POST', headers: { 'X-Api-Key': 'abc' }, jsonPath: '$.status', jsonEquals: 'ok' })).to.equal(null)
      expect(refusal({ jsonPath: '$[?' })).to.match(/Check "api": This JSON path does not parse/)
      expect(refusal({ headers: { 'Bad Name': 'x' } })).to.include('"Bad Name" is not a header name')
      expect(refusal({ keyword: 'k'.repeat(10_240) })).to.include('200')
      expect(refusal({ keywordAbsent: true })).to.include('Give the keyword that must not be on the page.')
      expect(refusal({ method: 'FETCH' })).to.not.equal(null)
      expect(refusal({ basicAuthUser: 'x' })).to.not.equal(null)
    })

    it('reads headers written as lines too, and refuses a header given twice', () => {
      expect(readExpectations({ headers: 'X-A: 1\nx-a: 2' }).problems.headers).to.equal('Header line 2: x-a is given twice.')
      expect(readExpectations({ headers: 'no colon here' }).problems.headers).to.equal('Header line 1 has no name: write it like X-Api-Key: abc123.')
      expect(readExpectations({ headers: '\n X-A : spaced \n' }).value.headers).to.deep.equal({ 'X-A': 'spaced' })
    })
  })
})
