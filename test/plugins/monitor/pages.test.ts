// The pages: everyone signed in sees the board and service pages; only admins see
// addresses, failure reasons, incident descriptions and notes, and only admins may check
// now, add a note or resolve. Bad input changes nothing; unknown ids are 404s.
import { expect } from 'chai'
import type { TestHost } from '../../support/test-host.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'
import { runDueChecks } from '../../../plugins/monitor/checks.ts'
import { addService, clearMonitor, signedInAdmin, startMonitorHost, testClock } from './monitor-harness.ts'
import { startTargetServer, type TargetServer } from './target-server.ts'
import { formatInZone } from '../../../core/time-zones.ts'

describe('monitor: pages, who sees what, and admin actions', function () {
  this.timeout(60_000)
  let host: TestHost
  let ctx: MonitorContext
  let target: TargetServer
  let incidentId: string

  before(async () => {
    target = await startTargetServer()
    ;({ host, ctx } = await startMonitorHost({ timeout: '1s', failuresBeforeIncident: 2 }, { config: { timeZone: 'UTC' } }))
  })
  after(async () => {
    await host?.stop()
    await target?.close()
  })
  beforeEach(async () => {
    await clearMonitor(host)
    await target.up()
    await addService(host, 'nas', `${target.url}/secret-path`, { configData: { severity: 'high' } })
    await addService(host, 'evil', target.url)
    await host.db('service_configs').where({ service_name: 'evil' }).update({ service_url: `${target.url}/?q=<script>alert(1)</script>` })
    const clock = testClock()
    await runDueChecks(ctx, clock.now())
    target.set({ kind: 'status', code: 500 })
    await runDueChecks(ctx, clock.advance(60_000), { only: ['nas'] })
    await runDueChecks(ctx, clock.advance(60_000), { only: ['nas'] })
    incidentId = (await host.db('service_incidents').where({ service_name: 'nas', status: 'open' }).first()).id
    await host.db('service_incidents').where({ id: incidentId }).update({ note: 'Disk swap planned' })
  })

  it('shows every signed-in person the board, without addresses or reasons', async () => {
    const { client } = await host.signedIn()
    const page = await client.get('/monitor')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('Service status')
    expect(page.text).to.match(/✖<\/span> Down/)
    expect(page.text).to.match(/✔<\/span> Up/)
    expect(page.text).to.include('1 down, 0 degraded, 1 of 2 up')
    expect(page.text).to.include('hx-trigger="every 30s, monitor-status-changed from:body"')
    expect(page.text).not.to.include(target.url)
    expect(page.text).not.to.include('secret-path')
    expect(page.text).not.to.include('Answered HTTP 500')

    const service = await client.get('/monitor/services/nas')
    expect(service.status).to.equal(200)
    expect(service.text).to.include('<svg')
    expect(service.text).to.include('Open</span> down, severity high')
    for (const hidden of [target.url, 'secret-path', 'Answered HTTP 500', 'Disk swap planned', 'failed 2 checks in a row', 'Test connection now']) {
      expect(service.text, hidden).not.to.include(hidden)
    }
    // The fragment for htmx is the board alone.
    const fragment = await client.get('/monitor', { htmx: true })
    expect(fragment.text.trimStart()).to.match(/^<div id="monitor-board"/)
    expect(fragment.text).not.to.include('<html')
  })

  it('writes the board\'s and a service page\'s dates in the viewer\'s own zone (New York), the same board for everyone', async () => {
    await host.db('service_incidents').where({ id: incidentId }).update({ created_at: new Date('2026-07-04T16:05:00Z') })
    const { client } = await host.signedIn(await host.createUser({ time_zone: 'America/New_York' }))
    const updated = /Updated <time datetime="([^"]+)" data-style="datetime">([^<]+)<\/time>/
    const [, at, text] = updated.exec((await client.get('/monitor')).text)!
    expect(text).to.equal(formatInZone(new Date(at), 'America/New_York')).and.match(/ GMT-[45]$/)
    // Someone who chose no zone reads the same kept board, its time in the site's.
    const [, sameAt, siteText] = updated.exec((await (await host.signedIn()).client.get('/monitor')).text)!
    expect(sameAt).to.equal(at)
    expect(siteText).to.equal(formatInZone(new Date(at), 'UTC')).and.match(/ UTC$/)

    const service = (await client.get('/monitor/services/nas')).text
    expect(service).to.include('from <time datetime="2026-07-04T16:05:00.000Z" data-style="datetime">4 Jul 2026, 12:05 GMT-4</time>')
    expect(service).to.match(/Last check: <time datetime="[^"]+" data-style="datetime">[^<]+ GMT-[45]<\/time>/)
    expect(service).not.to.match(/>[^<]* UTC</)
  })

  it('shows admins the addresses, reasons and notes, escaped', async () => {
    const { client: admin } = await signedInAdmin(host)
    const page = await admin.get('/monitor')
    expect(page.text).to.include(`${target.url}/secret-path`)
    expect(page.text).to.include('Answered HTTP 500; expected 200-399.')
    expect(page.text).not.to.include('<script>alert(1)</script>')
    expect(page.text).to.include('&lt;script&gt;alert(1)&lt;/script&gt;')
    const service = await admin.get('/monitor/services/nas?range=7d')
    expect(service.text).to.include('Disk swap planned')
    expect(service.text).to.include('Test connection now')
    expect(service.text).to.include('aria-current="page">7 days')
  })

  it('answers 404 for an unknown service, and sends anonymous people to sign in', async () => {
    const { client } = await host.signedIn()
    expect((await client.get('/monitor/services/nope')).status).to.equal(404)
    const anonymous = await host.client().get('/monitor')
    expect(anonymous.status).to.be.oneOf([302, 303, 401])
    expect((await host.client().get('/monitor/services/nas')).text).not.to.include('secret-path')
  })

  it('lets only admins check now, note or resolve; a non-admin changes nothing', async () => {
    const { client } = await host.signedIn()
    await client.get('/monitor')
    const before = await host.db('service_incidents').where({ id: incidentId }).first()
    const checksBefore = target.hits
    for (const path of ['/admin/monitor/services/nas/check', `/admin/monitor/incidents/${incidentId}/note`, `/admin/monitor/incidents/${incidentId}/resolve`]) {
      const res = await client.post(path, { note: 'pwned' })
      expect(res.status, path).to.be.oneOf([403, 404])
    }
    expect(await host.db('service_incidents').where({ id: incidentId }).first()).to.deep.equal(before)
    expect(target.hits).to.equal(checksBefore)
  })

  it('runs one check now and shows the result inline (Test connection)', async () => {
    const { client: admin } = await signedInAdmin(host)
    await admin.get('/monitor/services/nas')
    target.set({ kind: 'up' })
    const res = await admin.post('/admin/monitor/services/nas/check', {}, { htmx: true })
    expect(res.status).to.equal(200)
    // A fragment alone, whose message takes the focus (the button it answers stays).
    expect(res.text).to.match(/^<p role="status" tabindex="-1" autofocus>/)
    expect(res.text).to.include('Answered HTTP 200.')
    // It was a real check: recorded, and it resolved the incident.
    expect((await host.db('service_incidents').where({ id: incidentId }).first()).status).to.equal('resolved')
    const plain = await admin.post('/admin/monitor/services/nas/check', {})
    expect(plain.status).to.equal(303)
    expect(plain.location).to.equal('/monitor/services/nas')
    expect((await admin.post('/admin/monitor/services/unknown/check', {})).status).to.equal(404)
  })

  it('the core\'s Test connection on an "Other" service runs the same HTTP check inline, and the kind is not offered in the form', async () => {
    const { client: admin } = await signedInAdmin(host)
    const id = (await host.db('service_configs').where({ service_name: 'nas' }).first()).id
    await admin.get('/admin/services')
    target.set({ kind: 'up' })
    const ok = await admin.post(`/admin/services/${id}/test`, {}, { htmx: true })
    expect(ok.status).to.equal(200)
    expect(ok.text).to.include('Answered HTTP 200.')
    target.set({ kind: 'status', code: 503 })
    expect((await admin.post(`/admin/services/${id}/test`, {}, { htmx: true })).text).to.include('503')
    expect((await admin.get('/admin/services/new')).text).to.not.include('value="web"')
  })

  it('refuses a bad note with 422 beside the field and changes nothing; saves a good one', async () => {
    const { client: admin } = await signedInAdmin(host)
    await admin.get('/monitor/services/nas')
    const tooLong = await admin.post(`/admin/monitor/incidents/${incidentId}/note`, { note: 'x'.repeat(2001) })
    expect(tooLong.status).to.equal(422)
    expect(tooLong.text).to.include('Keep the note under 2000 characters.')
    expect(tooLong.text).to.include('aria-invalid="true"')
    const control = await admin.post(`/admin/monitor/incidents/${incidentId}/note`, { note: 'bell\u0007' })
    expect(control.status).to.equal(422)
    expect(control.text).to.include('control characters')
    expect((await host.db('service_incidents').where({ id: incidentId }).first()).note).to.equal('Disk swap planned')

    const saved = await admin.post(`/admin/monitor/incidents/${incidentId}/note`, { note: '<b>Swapped</b> the disk' })
    expect(saved.status).to.equal(303)
    expect((await host.db('service_incidents').where({ id: incidentId }).first()).note).to.equal('<b>Swapped</b> the disk')
    const page = await admin.get('/monitor/services/nas')
    expect(page.text).to.include('The note is saved.')
    expect(page.text).to.include('&lt;b&gt;Swapped&lt;/b&gt; the disk')
    expect((await admin.post('/admin/monitor/incidents/00000000-0000-0000-0000-000000000000/note', { note: 'x' })).status).to.equal(404)
    expect((await admin.post('/admin/monitor/incidents/not-a-uuid/resolve', {})).status).to.equal(404)
  })

  it('resolves by hand once, and a still-failing service needs N more failures for a new incident', async () => {
    const { client: admin } = await signedInAdmin(host)
    await admin.get('/monitor/services/nas')
    const resolved = await admin.post(`/admin/monitor/incidents/${incidentId}/resolve`, {})
    expect(resolved.status).to.equal(303)
    const row = await host.db('service_incidents').where({ id: incidentId }).first()
    expect(row.status).to.equal('resolved')
    expect(row.resolved_at).to.not.equal(null)
    expect((await admin.get('/monitor/services/nas')).text).to.include('The incident is marked resolved.')
    const again = await admin.post(`/admin/monitor/incidents/${incidentId}/resolve`, {})
    expect(again.status).to.equal(303)
    expect((await admin.get('/monitor/services/nas')).text).to.include('That incident was already resolved.')
    const clock = testClock(new Date(Date.now() + 10 * 60_000))
    await runDueChecks(ctx, clock.now(), { only: ['nas'] })
    expect(await host.db('service_incidents').where({ service_name: 'nas', status: 'open' })).to.have.length(0)
    await runDueChecks(ctx, clock.advance(60_000), { only: ['nas'] })
    expect(await host.db('service_incidents').where({ service_name: 'nas', status: 'open' })).to.have.length(1)
  })

  it('has a dashboard widget that names what is down, and a nav entry', async () => {
    const { client } = await host.signedIn()
    const widget = await client.get('/widgets/monitor/status', { htmx: true })
    expect(widget.status).to.equal(200)
    expect(widget.text).to.include('1 of 2 services not fully up')
    expect(widget.text).to.include('href="/monitor/services/nas"')
    expect(widget.text).not.to.include('secret-path')
    const home = await client.get('/')
    expect(home.text).to.include('href="/monitor"')
    await host.db('service_status').update({ status: 'up' })
    expect((await client.get('/widgets/monitor/status', { htmx: true })).text).to.include('All systems up')
  })
})
