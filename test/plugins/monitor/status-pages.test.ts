// Public status pages (issue 32, part 5): an admin makes a page of chosen services in
// groups; signed out, people read it (no addresses, no reasons, nothing not chosen), a
// draft is a 404, each service has a badge, the page is cached a few seconds, and an
// anonymous live stream hears only the public nudge. Bad pages are refused beside their
// fields with nothing saved.
import { expect } from 'chai'
import type { TestHost } from '../../support/test-host.ts'
import { TestClient } from '../../support/http-client.ts'
import { SseClient } from '../../support/sse-client.ts'
import type { MonitorContext } from '../../../plugins/monitor/plugin-config.ts'
import { runDueChecks } from '../../../plugins/monitor/checks.ts'
import { validateContributions } from '../../../core/plugins/validate.ts'
import { addService, clearMonitor, signedInAdmin, startMonitorHost } from './monitor-harness.ts'
import { startTargetServer, type TargetServer } from './target-server.ts'

describe('monitor: public status pages', function () {
  this.timeout(60_000)
  let host: TestHost
  let ctx: MonitorContext
  let target: TargetServer
  const streams: SseClient[] = []

  before(async () => {
    target = await startTargetServer()
    // One page for every visitor: its dates are in the site's zone, named (not the server's UTC).
    ;({ host, ctx } = await startMonitorHost({ interval: '1m', timeout: '1s', retries: 0 }, { config: { timeZone: 'Europe/Berlin' } }))
  })
  after(async () => {
    for (const s of streams) await s.close()
    await host?.stop()
    await target?.close()
  })
  beforeEach(async () => {
    await clearMonitor(host)
    await host.db('monitor_status_pages').del()
    await target.up()
    await addService(host, 'plex', `${target.url}/plex-secret-path`, { configData: { displayName: 'Plex' } })
    await addService(host, 'nas', `${target.url}/nas`, { configData: { displayName: 'The NAS' } })
    await addService(host, 'router', `${target.url}/router-admin`, { configData: { displayName: 'Router' } })
    await runDueChecks(ctx, new Date())
  })

  const count = async () => Number((await host.db('monitor_status_pages').count({ n: '*' }).first())!.n)
  const pageForm = (fields: Record<string, string> = {}, services = ['plex', 'nas']): Array<[string, string]> => {
    const pairs: Array<[string, string]> = [['slug', 'home'], ['title', 'Our media server'], ['description', 'What is up at home.'], ['notice', ''], ['published', '1']]
    const merged = new Map(pairs)
    for (const [k, v] of Object.entries(fields)) merged.set(k, v)
    return [...[...merged].filter(([, v]) => v !== '\u0000'), ...services.map((s): [string, string] => ['services', s])]
  }
  /** The index of a service in the form (its group input is group_<index>). */
  const groupField = async (admin: TestClient, name: string) => {
    const form = (await admin.get('/admin/monitor/status-pages')).text
    const values = [...form.matchAll(/name="services" value="([^"]+)"/g)].map((m) => m[1])
    return `group_${values.indexOf(name)}`
  }
  const anonymous = () => new TestClient(host.url)

  it('refuses a bad page beside each field and saves nothing', async () => {
    const { client: admin } = await signedInAdmin(host)
    const refusal = async (fields: Record<string, string>, services?: string[]) => {
      const res = await admin.post('/admin/monitor/status-pages', pageForm(fields, services))
      expect(res.status).to.equal(422)
      return res.text
    }
    const beside = (html: string, field: string) => new RegExp(`id="monitor-sp-${field}-error">([^<]*)<`).exec(html)?.[1]
    expect(beside(await refusal({ slug: 'home/admin' }), 'slug')).to.equal('A slug is one part of the address: no &quot;/&quot;.')
    expect(beside(await refusal({ slug: '..' }), 'slug')).to.equal('No dots: lower-case letters, digits and dashes only.')
    expect(beside(await refusal({ slug: 'Home' }), 'slug')).to.equal('Use lower case: &quot;home&quot;.')
    expect(beside(await refusal({ slug: 'a'.repeat(200) }), 'slug')).to.equal('Use at most 40 characters (this one has 200).')
    expect(beside(await refusal({ slug: '' }), 'slug')).to.match(/^Give the page a slug/)
    const none = await refusal({}, [])
    expect(beside(none, 'services')).to.equal('Choose at least one service: a status page shows services.')
    expect(none).to.match(/name="services" value="[^"]+" aria-invalid="true" autofocus/)
    expect(beside(await refusal({}, ['plex', 'kuma:9']), 'services')).to.equal('&quot;kuma:9&quot; is not a watched service.')
    expect(beside(await refusal({ title: '' }), 'title')).to.match(/^Give the page a title/)
    expect(await count()).to.equal(0)
  })

  it('shows signed-out people only what the admin chose: names, status, uptime; never an address or a reason', async () => {
    await target.down()
    await runDueChecks(ctx, new Date(Date.now() + 120_000), { force: true })
    const { client: admin } = await signedInAdmin(host)
    const saved = await admin.post('/admin/monitor/status-pages', [...pageForm({ notice: 'Plex moves to a new disk tonight.' }), [await groupField(admin, 'plex'), 'Media'], ['show_incidents', '1']])
    expect(saved.status, saved.text.slice(0, 300)).to.equal(303)
    const page = await anonymous().get('/status/home')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('<h1>Our media server</h1>')
    expect(page.text).to.include('Plex moves to a new disk tonight.')
    expect(page.text).to.include('<h2>Media</h2>')
    expect(page.text).to.include('<h2>Services</h2>')
    expect(page.text).to.include('The NAS')
    expect(page.text).to.include('2 of 2 services are down.')
    expect(page.text).to.match(/<strong>Plex<\/strong> was down from <time datetime="[^"]+" data-style="datetime">\d+ \w+ \d{4}, \d\d:\d\d CES?T<\/time>, still, for/)
    expect(page.text).to.match(/Updated <time datetime="[^"]+" data-style="datetime">[^<]+ CES?T<\/time>\./)
    // Not chosen, and never what only admins see.
    expect(page.text).to.not.include('Router')
    for (const secret of [target.url, 'plex-secret-path', 'Refused the connection', '127.0.0.1']) expect(page.text).to.not.include(secret)
    // The anonymous page listens for the public nudge.
    expect(page.text).to.include('data-viewer="public"')
    expect(page.text).to.include('monitor-public-changed from:body')
  })

  it('a draft is a 404 to everyone but admins, who get a preview', async () => {
    const { client: admin } = await signedInAdmin(host)
    expect((await admin.post('/admin/monitor/status-pages', pageForm({ published: '\u0000' }))).status).to.equal(303)
    expect((await anonymous().get('/status/home')).status).to.equal(404)
    expect((await anonymous().get('/status/home/badge/plex.svg')).status).to.equal(404)
    const person = await host.signedIn(await host.createUser({ role: 'USER' }))
    expect((await person.client.get('/status/home')).status).to.equal(404)
    const preview = await admin.get('/status/home')
    expect(preview.status).to.equal(200)
    expect(preview.text).to.include('A draft: only admins see this page until it is published.')
    for (const path of ['/status/nope', '/status/HOME', '/status/home%2f..', '/status/home%2F%2e%2e', `/status/${'a'.repeat(200)}`]) {
      expect((await anonymous().get(path)).status, path).to.equal(404)
    }
  })

  it('serves an SVG badge per service on the page, and nothing for one not on it', async () => {
    const { client: admin } = await signedInAdmin(host)
    await admin.post('/admin/monitor/status-pages', pageForm())
    const badge = await anonymous().get('/status/home/badge/plex.svg')
    expect(badge.status).to.equal(200)
    expect(badge.headers.get('content-type')).to.match(/^image\/svg\+xml/)
    expect(badge.headers.get('cache-control')).to.equal('public, max-age=60')
    expect(badge.text).to.match(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    expect(badge.text).to.include('<title>Plex: up</title>')
    expect((await anonymous().get('/status/home/badge/router.svg')).status).to.equal(404)
    expect((await anonymous().get('/status/home/badge/plex.png')).status).to.equal(404)
    expect((await anonymous().get('/status/home/badge/%3Cscript%3E.svg')).status).to.equal(404)
  })

  it('renders a page once for a crowd within a few seconds, and afresh after an edit', async () => {
    const { client: admin } = await signedInAdmin(host)
    await admin.post('/admin/monitor/status-pages', pageForm())
    expect((await anonymous().get('/status/home')).text).to.include('All services are up.')
    await host.db('service_status').where({ service_name: 'nas' }).update({ status: 'down' })
    // Within the cache's few seconds: the same render.
    const again = await Promise.all(Array.from({ length: 10 }, () => anonymous().get('/status/home')))
    expect(again.every((r) => r.text.includes('All services are up.'))).to.equal(true)
    const { id } = await host.db('monitor_status_pages').first('id')
    expect((await admin.post(`/admin/monitor/status-pages/${id}`, pageForm({ title: 'Home' }))).status).to.equal(303)
    const fresh = await anonymous().get('/status/home')
    expect(fresh.text).to.include('1 of 2 services is down.')
    expect(fresh.text).to.include('<h1>Home</h1>')
    // A status change recorded by a check shows at once (the live nudge's refetch must not get the old render).
    await target.down()
    await runDueChecks(ctx, new Date(Date.now() + 120_000), { force: true, only: ['plex'] })
    expect((await anonymous().get('/status/home')).text).to.include('2 of 2 services are down.')
  })

  it('refuses a second page with the same slug, beside the slug', async () => {
    const { client: admin } = await signedInAdmin(host)
    expect((await admin.post('/admin/monitor/status-pages', pageForm())).status).to.equal(303)
    const again = await admin.post('/admin/monitor/status-pages', pageForm({ title: 'Another' }))
    expect(again.status).to.equal(422)
    expect(again.text).to.include('id="monitor-sp-slug-error">Another status page has this slug: choose another.<')
    expect(await count()).to.equal(1)
  })

  it('gives a signed-out page an anonymous stream that hears the public nudge and nothing else', async () => {
    const { client: admin } = await signedInAdmin(host)
    await admin.post('/admin/monitor/status-pages', pageForm())
    const stream = await SseClient.open(host.url, {})
    streams.push(stream)
    expect(stream.status).to.equal(200)
    await target.down()
    await runDueChecks(ctx, new Date(Date.now() + 120_000), { force: true })
    await stream.waitFor('the public nudge', (text) => text.includes('event: monitor-public-changed'), 10_000)
    expect(stream.text).to.not.include('monitor-status-changed')
  })

  it('only admins make, edit and delete pages', async () => {
    const person = await host.signedIn(await host.createUser({ role: 'USER' }))
    expect((await person.client.post('/admin/monitor/status-pages', pageForm())).status).to.equal(403)
    expect((await person.client.get('/admin/monitor/status-pages')).status).to.equal(403)
    expect(await count()).to.equal(0)
  })

  it('a plugin may mount one top-level path of its own, never the core\'s or a bad one', () => {
    const router = ctx.http.router()
    expect(validateContributions('demo', { mounts: [{ at: 'board', router }] })).to.deep.equal([])
    expect(validateContributions('demo', { mounts: [{ at: 'admin', router }] })).to.deep.equal(['plugin "demo": mount "/admin" is the core\'s; choose another path'])
    expect(validateContributions('demo', { mounts: [{ at: 'Status/x', router }] })[0]).to.match(/must be one path segment/)
    expect(validateContributions('demo', { mounts: [{ at: 'demo', router }] })[0]).to.match(/the plugin's own prefix already/)
    expect(validateContributions('demo', { mounts: [{ at: 'board', router }, { at: 'board', router }] }).join()).to.match(/mounts/)
  })
})
