// Maintenance windows and pause (issue 32, part 3): a service failing inside a window
// opens no incident and records no result (the uptime leaves the window out), and one
// failing after it does; a weekly window keeps its local time across a DST change; bad
// windows are refused beside their fields with nothing saved; a paused service is not
// checked until resumed.
import { expect } from 'chai'
import { DateTime } from 'luxon'
import type { TestHost } from '../../support/test-host.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'
import { runDueChecks } from '../../../plugins/monitor/checks.ts'
import { checkForm, occurrences, readForm, type WindowRow } from '../../../plugins/monitor/maintenance.ts'
import { addService, clearMonitor, signedInAdmin, startMonitorHost } from './monitor-harness.ts'
import { startTargetServer, type TargetServer } from './target-server.ts'
import { waitFor } from '../../support/wait-for.ts'
import { formatInZone } from '../../../core/time-zones.ts'

const MINUTE = 60_000
const local = (d: DateTime) => d.toFormat("yyyy-LL-dd'T'HH:mm")

describe('monitor: maintenance windows and pause', function () {
  this.timeout(60_000)
  let host: TestHost
  let ctx: MonitorContext
  let target: TargetServer

  before(async () => {
    target = await startTargetServer()
    // A site zone that is not the server's: what no request asks for is written in it, named.
    ;({ host, ctx } = await startMonitorHost({ interval: '1m', timeout: '1s', retries: 0 }, { config: { timeZone: 'Europe/Berlin' } }))
  })
  after(async () => {
    await host?.stop()
    await target?.close()
  })
  beforeEach(async () => {
    await clearMonitor(host)
    await host.db('monitor_maintenance').del()
    await target.up()
    target.set({ kind: 'up' })
  })

  const status = (name: string) => host.db('service_status').where({ service_name: name }).first()
  const count = async (table: string, where: Record<string, unknown> = {}) => Number((await host.db(table).where(where).count({ n: '*' }).first())!.n)

  describe('the calendar', () => {
    it('keeps a weekly window at its local time across a DST change', () => {
      const w = { title: 'Backups', services: ['nas'], kind: 'weekly' as const, weekdays: [7], start_time: '04:00', duration_minutes: 60, time_zone: 'Europe/Berlin', starts_at: null, ends_at: null }
      // Sundays around the end of summer time in Berlin (2027-10-31).
      const spans = occurrences(w, Date.parse('2027-10-20T00:00:00Z'), Date.parse('2027-11-08T00:00:00Z'))
      expect(spans.map((s) => new Date(s.start).toISOString())).to.deep.equal(['2027-10-24T02:00:00.000Z', '2027-10-31T03:00:00.000Z', '2027-11-07T03:00:00.000Z'])
      expect(spans.every((s) => s.end - s.start === 60 * MINUTE)).to.equal(true)
    })

    it('refuses an end before the start, an unknown time zone, no services, a past window and overlaps, each beside its field', () => {
      const now = new Date('2026-12-07T12:00:00Z')
      const watched = new Map([['nas', 'NAS'], ['plex', 'Plex']])
      const problems = (body: Record<string, unknown>, others: WindowRow[] = []) => {
        const r = checkForm(readForm({ title: 'Swap', services: 'nas', kind: 'once', starts: '2026-12-08T02:00', ends: '2026-12-08T03:00', time_zone: 'UTC', ...body }), watched, others, now, (d) => formatInZone(d, 'America/New_York'))
        return 'problems' in r ? r.problems : null
      }
      expect(problems({})).to.equal(null)
      expect(problems({ ends: '2026-12-08T01:00' })).to.deep.equal({ ends: 'The end must be after the start.' })
      expect(problems({ time_zone: 'Mars/Olympus' })!.time_zone).to.equal('"Mars/Olympus" is not a time zone: choose one from the list, like Europe/Berlin.')
      expect(problems({ services: [] })).to.deep.equal({ services: 'Choose at least one service.' })
      expect(problems({ services: ['nas', 'evil'] })).to.deep.equal({ services: '"evil" is not a watched service.' })
      expect(problems({ starts: '2026-12-01T02:00', ends: '2026-12-01T03:00' })).to.deep.equal({ ends: 'This window would be over already: its end is in the past.' })
      expect(problems({ starts: '2026-02-30T02:00' })!.starts).to.match(/^That is not a real date/)
      expect(problems({ title: '' })).to.deep.equal({ title: 'Give the window a title, like "NAS disk swap".' })
      expect(problems({ kind: 'sometimes' })).to.deep.equal({ kind: 'Choose one-off or weekly.' })

      const weekly: WindowRow = { id: 1, title: 'Nightly', services: ['nas'], kind: 'weekly', weekdays: [2], start_time: '02:30', duration_minutes: 60, time_zone: 'UTC', starts_at: null, ends_at: null, created_at: now }
      // 2026-12-08 is a Tuesday: 02:00–03:00 meets Tuesday 02:30 for nas, not for plex.
      expect(problems({}, [weekly])!.starts).to.equal('It overlaps "Nightly" (7 Dec 2026, 21:30 GMT-5) for nas: change the times or the services.')
      expect(problems({ services: 'plex' }, [weekly])).to.equal(null)
      expect(problems({ starts: '2026-12-08T03:30', ends: '2026-12-08T04:00' }, [weekly])).to.equal(null)
      // A weekly window longer than the gap between its own days overlaps itself.
      expect(problems({ kind: 'weekly', weekdays: ['1', '2'], start_time: '20:00', duration: '30h' })!.start_time).to.equal('Its weekly spans overlap each other: shorten it or choose days further apart.')
      expect(problems({ kind: 'weekly', weekdays: [], start_time: '25:00', duration: 'long' })).to.deep.equal({
        weekdays: 'Choose at least one day of the week.', start_time: 'Write a time of day, like 02:00.', duration: '"long" is not a duration: write it like 90m or 2h.',
      })
    })
  })

  it('a window keeps a failing service out of incidents and uptime; after it, the failure opens one', async () => {
    await addService(host, 'nas', target.url)
    await runDueChecks(ctx, new Date(), { only: ['nas'] })
    expect((await status('nas')).status).to.equal('up')
    // An admin who reads dates in New York, on a site in Berlin.
    const { client: admin } = await host.signedIn(await host.createUser({ role: 'ADMIN', time_zone: 'America/New_York' }))
    const zone = 'America/New_York'
    const start = DateTime.now().setZone(zone).startOf('minute').plus({ minutes: 1 })
    expect((await admin.get('/admin/monitor/maintenance')).text).to.include('No maintenance windows.')
    const saved = await admin.post('/admin/monitor/maintenance', {
      title: 'Disk swap', services: 'nas', kind: 'once', starts: local(start), ends: local(start.plus({ minutes: 30 })), time_zone: zone,
    })
    expect(saved.status, saved.text.slice(0, 300)).to.equal(303)
    const listed = await admin.get('/admin/monitor/maintenance')
    expect(listed.text).to.include('The maintenance window is saved.')
    expect(listed.text).to.match(/<strong>Disk swap<\/strong>: Once, from .* \(America\/New_York\)\./)
    expect(listed.text).to.include(`Next: <time datetime="${start.toJSDate().toISOString()}" data-style="datetime">${formatInZone(start.toJSDate(), zone)}</time>`)
    expect(formatInZone(start.toJSDate(), zone)).to.match(/ GMT-[45]$/)

    await target.down()
    const samplesBefore = await count('service_metrics', { service_name: 'nas' })
    for (const minutes of [2, 10, 20]) await runDueChecks(ctx, start.plus({ minutes }).toJSDate(), { only: ['nas'], force: true })
    const during = await status('nas')
    expect(during.status).to.equal('maintenance')
    // A message kept in the row, for whoever reads it later: the site's zone, named.
    expect(during.message).to.equal(`In maintenance ("Disk swap") until ${formatInZone(start.plus({ minutes: 30 }).toJSDate(), 'Europe/Berlin')}: not checked.`)
    expect(during.message).to.match(/ \d\d:\d\d CES?T: not checked\.$/)
    expect(during.heartbeats).to.equal('ummm')
    expect(await count('service_incidents', { service_name: 'nas' })).to.equal(0)
    expect(await count('service_metrics', { service_name: 'nas' })).to.equal(samplesBefore)

    const board = await admin.get('/monitor')
    expect(board.text).to.include('1 in maintenance or paused.')
    expect(board.text).to.include('Maintenance</span>')

    await runDueChecks(ctx, start.plus({ minutes: 31 }).toJSDate(), { only: ['nas'], force: true })
    expect((await status('nas')).status).to.equal('down')
    expect(await count('service_incidents', { service_name: 'nas', status: 'open' })).to.equal(1)
    // The uptime counts the two checks made (one up, one down), not the window.
    expect(Number((await status('nas')).uptime_24h)).to.equal(50)
  })

  it('refuses a bad window with its errors beside the fields, the first focused, and saves nothing', async () => {
    await addService(host, 'nas', target.url)
    await runDueChecks(ctx, new Date(), { only: ['nas'] })
    const { client: admin } = await signedInAdmin(host)
    const res = await admin.post('/admin/monitor/maintenance', {
      title: 'x'.repeat(200), services: 'nas', kind: 'once', starts: '2030-01-02T03:00', ends: '2030-01-01T03:00', time_zone: 'Nowhere/Land',
    }, { headers: { 'HX-Request': 'true', 'HX-Request-Type': 'partial' } })
    expect(res.status).to.equal(422)
    expect(res.text).to.match(/name="title"[^>]*aria-invalid="true" aria-describedby="monitor-mw-title-error" autofocus/)
    expect(res.text).to.include('id="monitor-mw-title-error">Use at most 120 characters on one line.<')
    expect(res.text).to.include('id="monitor-mw-time_zone-error">&quot;Nowhere/Land&quot; is not a time zone')
    expect((res.text.match(/autofocus/g) ?? []).length).to.equal(1)
    expect(await count('monitor_maintenance')).to.equal(0)
  })

  it('two admins saving overlapping windows at once: one is saved, the other told why', async () => {
    await addService(host, 'nas', target.url)
    await runDueChecks(ctx, new Date(), { only: ['nas'] })
    const { client: a } = await signedInAdmin(host)
    const { client: b } = await signedInAdmin(host)
    const body = (title: string): Array<[string, string]> => [
      ['title', title], ['services', 'nas'], ['kind', 'weekly'], ['weekdays', '3'], ['weekdays', '6'], ['start_time', '01:00'], ['duration', '2h'], ['time_zone', 'Europe/Berlin'],
    ]
    const answers = await Promise.all([a.post('/admin/monitor/maintenance', body('A')), b.post('/admin/monitor/maintenance', body('B'))])
    expect(answers.map((r) => r.status).sort(), answers.map((r) => /field-error[^>]*>([^<]*)/.exec(r.text)?.[1]).join(' | ')).to.deep.equal([303, 422])
    expect(answers.find((r) => r.status === 422)!.text).to.match(/It overlaps &quot;[AB]&quot;/)
    expect(await count('monitor_maintenance')).to.equal(1)
    expect((await a.get('/admin/monitor/maintenance')).text).to.match(/Weekly on Wednesday and Saturday at 01:00 for 2 h \(Europe\/Berlin\)\. <span class="muted">Next: /)
  })

  it('deletes a window: its services are checked at once again, and a second delete is a 404', async () => {
    await addService(host, 'nas', target.url)
    await runDueChecks(ctx, new Date(), { only: ['nas'] })
    const { client: admin } = await signedInAdmin(host)
    const saved = await admin.post('/admin/monitor/maintenance', [
      ['title', 'Weekly reboot'], ['services', 'nas'], ['kind', 'weekly'], ['weekdays', '1'], ['start_time', '03:00'], ['duration', '15m'], ['time_zone', 'Europe/London'],
    ])
    expect(saved.status).to.equal(303)
    const { id } = await host.db('monitor_maintenance').first('id')
    const later = new Date(Date.now() + 60 * MINUTE)
    await host.db('service_status').where({ service_name: 'nas' }).update({ next_check_at: later })
    expect((await admin.post(`/admin/monitor/maintenance/${id}/delete`, {})).status).to.equal(303)
    expect(await count('monitor_maintenance')).to.equal(0)
    expect(new Date((await status('nas')).next_check_at).getTime()).to.be.below(later.getTime())
    expect((await admin.get('/admin/monitor/maintenance')).text).to.include('The maintenance window is deleted.')
    expect((await admin.post(`/admin/monitor/maintenance/${id}/delete`, {})).status).to.equal(404)
    expect((await admin.post('/admin/monitor/maintenance/nope/delete', {})).status).to.equal(404)
  })

  it('a paused service is not checked (nothing recorded) until resumed', async () => {
    await addService(host, 'nas', target.url)
    await runDueChecks(ctx, new Date(), { only: ['nas'] })
    const { client: admin } = await signedInAdmin(host)
    const paused = await admin.post('/admin/monitor/services/nas/pause', {})
    expect(paused.status).to.equal(303)
    expect((await admin.get('/monitor/services/nas')).text).to.include('Checks are paused: nothing is recorded')
    expect((await status('nas')).status).to.equal('paused')
    await target.down()
    const hits = target.hits
    const samples = await count('service_metrics', { service_name: 'nas' })
    expect(await runDueChecks(ctx, new Date(Date.now() + 5 * MINUTE), { only: ['nas'], force: true })).to.equal(0)
    expect(target.hits).to.equal(hits)
    expect(await count('service_metrics', { service_name: 'nas' })).to.equal(samples)
    expect((await admin.get('/monitor/services/nas')).text).to.include('Resume checks')
    // A second pause changes nothing and says so.
    await admin.post('/admin/monitor/services/nas/pause', {})
    expect((await admin.get('/monitor/services/nas')).text).to.include('Its checks were paused already.')

    await admin.post('/admin/monitor/services/nas/resume', {})
    expect((await status('nas')).paused_at).to.equal(null)
    await runDueChecks(ctx, new Date(Date.now() + 6 * MINUTE), { only: ['nas'] })
    expect((await status('nas')).status).to.equal('down')
  })

  it('a check in flight when the service is paused records nothing: "Paused" stays', async () => {
    await addService(host, 'nas', target.url)
    await runDueChecks(ctx, new Date(), { only: ['nas'] })
    const samples = await count('service_metrics', { service_name: 'nas' })
    const { client: admin } = await signedInAdmin(host)
    // The target never answers: the pause lands while the check waits out its 1 s timeout.
    target.set({ kind: 'hang' })
    const hits = target.hits
    const checking = runDueChecks(ctx, new Date(Date.now() + 5 * MINUTE), { only: ['nas'], force: true })
    await waitFor('the check to reach the target', () => target.hits > hits)
    expect((await admin.post('/admin/monitor/services/nas/pause', {})).status).to.equal(303)
    await checking
    expect((await status('nas')).status).to.equal('paused')
    expect(await count('service_metrics', { service_name: 'nas' })).to.equal(samples)
    target.set({ kind: 'up' })
  })

  it('only admins pause, resume and edit windows', async () => {
    await addService(host, 'nas', target.url)
    await runDueChecks(ctx, new Date(), { only: ['nas'] })
    const user = await host.signedIn(await host.createUser({ role: 'USER' }))
    for (const path of ['/admin/monitor/services/nas/pause', '/admin/monitor/maintenance']) {
      const res = await user.client.post(path, { title: 't', services: 'nas', kind: 'weekly', weekdays: '1', start_time: '01:00', duration: '1h', time_zone: 'UTC' })
      expect(res.status, path).to.equal(403)
    }
    expect((await user.client.get('/admin/monitor/maintenance')).status).to.equal(403)
    expect(await count('monitor_maintenance')).to.equal(0)
    expect((await status('nas')).paused_at).to.equal(null)
  })
})
