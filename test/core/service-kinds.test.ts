// Several services of one kind (1.13): "sonarr" and "sonarr-4k" side by side, added
// through Admin → Services, read with ctx.services.list(type) and get(name), each
// tested by its kind's plugin; names that clash or break the rule are refused beside
// the field with nothing saved; rows from before kinds were stored read as they did.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import type { TestClient } from '../support/http-client.ts'

const PLUGIN_API = fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))

/** A community plugin owning the `sonarr` kind: its test says which address it checked; a route saves through ctx.services.save. */
function kindsPlugin(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-kinds-'))
  fs.writeFileSync(path.join(dir, 'index.ts'), `
import { definePlugin } from ${JSON.stringify(PLUGIN_API)}
export default definePlugin({ name: 'kinds', version: '1.0.0', api: '^1.13.0', register(ctx) {
  const routes = ctx.http.router()
  routes.post('/save', ctx.http.requireAdmin, async (req, res) => {
    try {
      const saved = await ctx.services.save(req.body.name, { type: req.body.type || undefined, url: req.body.url }, { actorId: ctx.http.mustViewer(req).id })
      res.json({ name: saved.serviceName, type: saved.serviceType })
    } catch (error) {
      res.status(400).json({ error: error.message })
    }
  })
  return {
    routes,
    serviceTypes: [{
      name: 'sonarr', label: 'Sonarr',
      fields: [{ name: 'quality', label: 'Quality profile', type: 'text' }],
      async test(service) { return { ok: true, message: 'Sonarr at ' + service.serviceUrl + ' (' + service.serviceName + ', ' + service.serviceType + ', ' + service.fields.quality + ')' } },
    }],
  }
} })
`)
  return dir
}

describe('several services of one kind (plugin API 1.13)', function () {
  this.timeout(60_000)
  let host: TestHost
  let admin: TestClient

  before(async () => {
    host = await startTestHost({ plugins: { kinds: { enabled: true, source: kindsPlugin() } } })
    admin = (await host.signedIn(await host.createUser({ role: 'ADMIN' }))).client
  })
  after(async () => { await host?.stop() })

  const rows = () => host.db('service_configs').orderBy('service_name').select('service_name', 'service_type', 'service_url', 'config_data')
  async function add(fields: Record<string, string>) {
    const form = await admin.get('/admin/services/new?type=sonarr')
    const once = /name="_once" value="([^"]+)"/.exec(form.text)![1]
    return admin.post('/admin/services', { service_name: 'sonarr', service_name_other: '', service_url: 'http://10.0.0.5:8989', api_key: '', enabled: '1', field_quality: 'HD', _once: once, ...fields })
  }

  it('adds a second service of a kind under its own name, and each is tested by the kind with its own settings', async () => {
    expect((await add({})).status).to.equal(303)
    expect((await add({ service_name_other: 'sonarr-4k', service_url: 'http://10.0.0.6:8989', field_quality: 'UHD' })).status).to.equal(303)
    expect(await rows()).to.deep.equal([
      { service_name: 'sonarr', service_type: 'sonarr', service_url: 'http://10.0.0.5:8989', config_data: { quality: 'HD' } },
      { service_name: 'sonarr-4k', service_type: 'sonarr', service_url: 'http://10.0.0.6:8989', config_data: { quality: 'UHD' } },
    ])
    const list = await admin.get('/admin/services')
    expect(list.text.match(/<small class="muted">Sonarr<\/small>/g)).to.have.length(2)

    const id = (await host.db('service_configs').where({ service_name: 'sonarr-4k' }).first()).id
    const tested = await admin.post(`/admin/services/${id}/test`, {}, { htmx: true })
    expect(tested.text).to.include('Sonarr at http://10.0.0.6:8989 (sonarr-4k, sonarr, UHD)')

    // Its edit form shows its kind picked and its own name.
    const edit = await admin.get(`/admin/services/${id}`)
    expect(edit.text).to.match(/<option value="sonarr" selected>/)
    expect(edit.text).to.include('name="service_name_other" maxlength="64" pattern="[a-z][a-z0-9\\-]{1,63}" autocomplete="off" value="sonarr-4k"')
  })

  it('reads them with list(type) and get(name)', async () => {
    await host.db('service_configs').insert({ service_name: 'nas', service_url: 'http://10.0.0.9', enabled: true, config_data: '{}' })
    const services = host.app.core.services
    expect((await services.list('sonarr')).map((s) => s.serviceName)).to.deep.equal(['sonarr', 'sonarr-4k'])
    expect((await services.list()).map((s) => [s.serviceName, s.serviceType])).to.deep.equal([['nas', null], ['sonarr', 'sonarr'], ['sonarr-4k', 'sonarr']])
    expect(await services.get('sonarr-4k')).to.include({ serviceType: 'sonarr', serviceUrl: 'http://10.0.0.6:8989' })
    expect((await services.get('sonarr-4k'))!.fields).to.deep.equal({ quality: 'UHD' })
    expect(await services.list('radarr')).to.deep.equal([])
    expect((await services.check('sonarr-4k')).message).to.include('(sonarr-4k, sonarr, UHD)')
  })

  it('refuses a name that is taken or breaks the rule beside the Name field, saving nothing', async () => {
    const before = await rows()
    const taken = await add({ service_name_other: 'sonarr-4k' })
    expect(taken.status).to.equal(409)
    expect(taken.text).to.match(/id="admin-service-form-service_name_other-error">A service named &quot;sonarr-4k&quot; is already configured/)
    const spaced = await add({ service_name_other: 'Sonarr 4K' })
    expect(spaced.status).to.equal(422)
    expect(spaced.text).to.match(/id="admin-service-form-service_name_other-error">Use 2 to 64 characters: lower-case letters/)
    expect(spaced.text).to.match(/name="service_name_other"[^>]*aria-invalid="true"[^>]*autofocus/)
    const otherUnnamed = await add({ service_name: '' })
    expect(otherUnnamed.status).to.equal(422)
    // The first of a kind takes the kind's name: a second unnamed one clashes with it.
    expect((await add({})).status).to.equal(409)
    expect(await rows()).to.deep.equal(before)
  })

  it('reads a row stored before kinds by its name, and an edit keeps its kind', async () => {
    await host.db('service_configs').where({ service_name: 'sonarr' }).update({ service_type: null })
    expect(await host.app.core.services.get('sonarr')).to.include({ serviceType: 'sonarr' })
    expect((await host.app.core.services.list('sonarr')).map((s) => s.serviceName)).to.deep.equal(['sonarr', 'sonarr-4k'])
    const id = (await host.db('service_configs').where({ service_name: 'sonarr' }).first()).id
    const edit = await admin.get(`/admin/services/${id}`)
    expect(edit.text).to.match(/<option value="sonarr" selected>/)
    expect(edit.text).to.include('autocomplete="off" value=""')
    const saved = await admin.post(`/admin/services/${id}`, { service_name: 'sonarr', service_name_other: '', service_url: 'http://10.0.0.5:8990', api_key: '', enabled: '1', field_quality: 'HD' })
    expect(saved.status).to.equal(303)
    expect(await host.db('service_configs').where({ id }).first('service_name', 'service_type', 'service_url'))
      .to.deep.equal({ service_name: 'sonarr', service_type: 'sonarr', service_url: 'http://10.0.0.5:8990' })
  })

  it('lets a plugin save a second service of a kind it owns, and no other kind or taken name', async () => {
    const save = (form: Record<string, string>) => admin.post('/kinds/save', form, { headers: { Accept: 'application/json' } })
    const ok = await save({ name: 'sonarr-anime', type: 'sonarr', url: 'http://10.0.0.7:8989' })
    expect(JSON.parse(ok.text)).to.deep.equal({ name: 'sonarr-anime', type: 'sonarr' })
    const before = await rows()
    expect(JSON.parse((await save({ name: 'plex-2', type: 'plex', url: 'http://10.0.0.8' })).text).error).to.match(/only save services of the types it owns \(sonarr\), not "plex"/)
    expect(JSON.parse((await save({ name: 'nas', type: 'sonarr', url: 'http://10.0.0.8' })).text).error).to.match(/"nas" of another kind \(Other\)/)
    expect(JSON.parse((await save({ name: 'Sonarr HD', type: 'sonarr', url: 'http://10.0.0.8' })).text).error).to.match(/is not a service name/)
    expect(await rows()).to.deep.equal(before)
  })
})
