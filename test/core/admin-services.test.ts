import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { apiKeyAad, fieldAad, type ServiceConfigRow } from '../../core/services/configs.ts'
import { checkService } from '../../core/services/checks.ts'
import type { ServiceType } from '../../core/plugin-api.ts'
import { logDuring as captureLog } from '../support/log-capture.ts'
import { bootProblems, startTestHost, type TestHost } from '../support/test-host.ts'
import type { TestClient } from '../support/http-client.ts'

const LIMITS = { rateLimits: { login: { limit: 1000, window: '15m' }, authenticated: { limit: 10_000, window: '1m' } } }
const PLUGIN_API = fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))
const KEY = 'sk-PLAINTEXT-api-key-4d2f9a'
const count = async (host: TestHost) => Number((await host.db('service_configs').count('* as n').first())!.n)
const rowNamed = (host: TestHost, name: string) => host.db('service_configs').where({ service_name: name }).first()

/** A community plugin, written to a temp folder, that owns the 'fake-upstream' service type. */
function writeFakeUpstreamPlugin(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-fake-upstream-'))
  fs.writeFileSync(path.join(dir, 'index.ts'), `
import { definePlugin, UpstreamError } from ${JSON.stringify(PLUGIN_API)}
export default definePlugin({
  name: 'fake-upstream', version: '1.2.3', api: '^1.0.0',
  register() {
    return {
      serviceTypes: [{
        name: 'fake-upstream', label: 'Fake upstream',
        async test(service, signal) {
          if (service.configData.mode === 'throw') throw new UpstreamError('Fake upstream', service.serviceUrl, 'answered 401: check the API key')
          return { ok: service.apiKey !== null, message: 'reached ' + service.serviceUrl + ' with key ' + service.apiKey, responseTimeMs: 7 }
        },
      }],
    }
  },
})
`)
  return dir
}

/** Every log line written while `work` runs, at debug level. */
const logDuring = async (host: TestHost, work: () => Promise<unknown>): Promise<string[]> =>
  (await captureLog(host.app.log, 'debug', work)).map((info) => JSON.stringify(info))

describe('admin: services', function () {
  this.timeout(120_000)
  let host: TestHost
  let pluginDir: string
  let client: TestClient
  let serial = 0

  before(async () => {
    pluginDir = writeFakeUpstreamPlugin()
    host = await startTestHost({ config: LIMITS, plugins: { 'fake-upstream': { enabled: true, source: pluginDir } } })
    client = (await host.signedIn(await host.createUser({ role: 'ADMIN' }))).client
  })
  after(async () => {
    await host.stop()
    fs.rmSync(pluginDir, { recursive: true, force: true })
  })

  const uniqueName = () => `svc-${++serial}-${Date.now().toString(36)}`
  const form = (fields: Record<string, string> = {}) => ({
    service_name: '', service_name_other: uniqueName(), service_url: 'http://127.0.0.1:5055/api', api_key: '', enabled: '1', config_data: '{}', ...fields,
  })
  const create = async (fields: Record<string, string> = {}) => {
    const body = form(fields)
    await client.get('/admin/services/new')
    const res = await client.post('/admin/services', body)
    expect(res.status, res.text.slice(0, 2000)).to.equal(303)
    return rowNamed(host, body.service_name || body.service_name_other)
  }

  it('stores the API key sealed, and no page ever shows it', async () => {
    const row = await create({ api_key: KEY, config_data: '{"libraryId": 3}' })
    expect(row.api_key).to.be.a('string').that.does.not.equal(KEY)
    expect(row.api_key.startsWith('v1:')).to.equal(true)
    expect(row.api_key).not.to.contain(KEY)
    expect(host.app.core.secrets.decrypt(row.api_key, apiKeyAad(row.service_name))).to.equal(KEY)
    expect(row.config_data).to.deep.equal({ libraryId: 3 })
    expect(row.enabled).to.equal(true)
    expect(row.updated_by).to.be.a('string')

    for (const page of ['/admin/services', `/admin/services/${row.id}`, `/admin/services/${row.id}/delete`, '/admin', '/admin/errors']) {
      const res = await client.get(page)
      expect(res.status, page).to.equal(200)
      expect(res.text, page).not.to.contain(KEY)
      expect(res.text, page).not.to.contain(row.api_key)
    }
    const edit = await client.get(`/admin/services/${row.id}`)
    expect(edit.text).to.match(/id="admin-service-form-key-state">set</)
    expect(edit.text).to.contain('name="api_key" maxlength="1000" autocomplete="new-password" value=""')
    expect(edit.text).to.contain('name="clear_key"')
    const list = await client.get('/admin/services')
    expect(new RegExp(`<tr id="admin-service-${row.id}">[\\s\\S]*?<td data-label="API key">set</td>`).test(list.text)).to.equal(true)
  })

  it('keeps keys out of the logs, and audits which fields changed', async () => {
    let id = 0
    const lines = await logDuring(host, async () => {
      const row = await create({ api_key: KEY })
      id = row.id
      await client.post(`/admin/services/${row.id}`, form({ service_name_other: row.service_name, api_key: `${KEY}-new`, service_url: 'http://127.0.0.1:5056/' }))
      await client.post(`/admin/services/${row.id}`, form({ service_name_other: row.service_name, api_key: `${KEY}-bad`, service_url: 'ftp://nope' }))
      await client.post(`/admin/services/${row.id}/test`)
      await client.post(`/admin/services/${row.id}/delete`)
    })
    expect(lines.length).to.be.greaterThan(3)
    for (const line of lines) expect(line).not.to.contain(KEY)
    const audits = lines.map((l) => JSON.parse(l)).filter((l) => l.audit)
    expect(audits.map((a) => [a.audit, a.fields])).to.deep.equal([
      ['admin added a service', 'service_name,service_url,api_key,enabled,config_data'],
      ['admin changed a service', 'service_url,api_key'],
      ['admin deleted a service', undefined],
    ])
    expect(audits.every((a) => a.service === String(id))).to.equal(true)
  })

  it('keeps the stored key when the edit leaves the key field empty and the server stays the same', async () => {
    const row = await create({ api_key: KEY })
    await client.get(`/admin/services/${row.id}`)
    const res = await client.post(`/admin/services/${row.id}`, form({ service_name_other: row.service_name, service_url: 'http://127.0.0.1:5055/overseerr', api_key: '' }))
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/admin/services')
    const after = await host.db('service_configs').where({ id: row.id }).first()
    expect(after.api_key).to.equal(row.api_key)
    expect(after.service_url).to.equal('http://127.0.0.1:5055/overseerr')
    expect(after.updated_at.getTime()).to.be.at.least(row.updated_at.getTime())
  })

  it('clears the stored key when the address moves to another server, unless the key is typed again', async () => {
    for (const elsewhere of ['https://media.example.test/overseerr', 'http://127.0.0.1:5056/api', 'https://127.0.0.1:5055/api']) {
      const row = await create({ api_key: KEY })
      await client.get(`/admin/services/${row.id}`)
      const res = await client.post(`/admin/services/${row.id}`, form({ service_name_other: row.service_name, service_url: elsewhere }))
      expect(res.location, elsewhere).to.equal('/admin/services')
      const after = await host.db('service_configs').where({ id: row.id }).first()
      expect(after.api_key, elsewhere).to.equal(null)
      expect(after.service_url).to.equal(elsewhere)
      expect((await client.get(res.location!)).text).to.include('its stored API key and secret settings were cleared')
    }
    const row = await create({ api_key: KEY })
    await client.get(`/admin/services/${row.id}`)
    const retyped = await client.post(`/admin/services/${row.id}`, form({ service_name_other: row.service_name, service_url: 'https://media.example.test/', api_key: KEY }))
    expect(retyped.location).to.equal('/admin/services')
    const kept = await host.db('service_configs').where({ id: row.id }).first()
    expect(host.app.core.secrets.decrypt(kept.api_key, apiKeyAad(row.service_name))).to.equal(KEY)
  })

  it('replaces, re-seals on rename, and clears the key', async () => {
    const row = await create({ api_key: KEY })
    await client.get(`/admin/services/${row.id}`)
    const renamed = uniqueName()
    expect((await client.post(`/admin/services/${row.id}`, form({ service_name_other: renamed }))).status).to.equal(303)
    const moved = await host.db('service_configs').where({ id: row.id }).first()
    expect(host.app.core.secrets.decrypt(moved.api_key, apiKeyAad(renamed))).to.equal(KEY)

    expect((await client.post(`/admin/services/${row.id}`, form({ service_name_other: renamed, api_key: 'another-key-9876' }))).status).to.equal(303)
    const replaced = await host.db('service_configs').where({ id: row.id }).first()
    expect(host.app.core.secrets.decrypt(replaced.api_key, apiKeyAad(renamed))).to.equal('another-key-9876')

    const both = await client.post(`/admin/services/${row.id}`, form({ service_name_other: renamed, api_key: 'x-key', clear_key: '1' }))
    expect(both.status).to.equal(422)
    expect(both.text).not.to.contain('x-key')

    expect((await client.post(`/admin/services/${row.id}`, form({ service_name_other: renamed, clear_key: '1' }))).status).to.equal(303)
    expect((await host.db('service_configs').where({ id: row.id }).first()).api_key).to.equal(null)
    expect((await client.get(`/admin/services/${row.id}`)).text).to.match(/id="admin-service-form-key-state">not set</)
  })

  for (const url of ['ftp://files.example.com/', 'javascript:alert(1)', 'file:///etc/passwd', 'not a url', 'http://user:pass@example.com/', '']) {
    it(`refuses the address ${JSON.stringify(url)} and changes nothing`, async () => {
      const existing = await create()
      const before = await count(host)
      await client.get('/admin/services/new')
      const added = await client.post('/admin/services', form({ service_url: url, api_key: KEY }))
      expect(added.status).to.equal(422)
      expect(added.text).to.contain('id="admin-service-form-service_url-error"')
      expect(added.text).not.to.contain(KEY)
      expect(await count(host)).to.equal(before)
      const edited = await client.post(`/admin/services/${existing.id}`, form({ service_name_other: existing.service_name, service_url: url }), { htmx: true })
      expect(edited.status).to.equal(422)
      expect(edited.text).not.to.contain('<html')
      expect(edited.text).to.contain('<form id="admin-service-form"')
      expect(await host.db('service_configs').where({ id: existing.id }).first()).to.deep.equal(existing)
    })
  }

  it('names the exact problem for non-http schemes', async () => {
    await client.get('/admin/services/new')
    const res = await client.post('/admin/services', form({ service_url: 'ftp://files.example.com/' }))
    expect(res.text).to.contain('Only http:// and https:// addresses are allowed, not ftp://.')
  })

  for (const [what, text, message] of [
    ['invalid JSON', '{"a": ', 'This is not valid JSON'],
    ['a JSON array', '[1, 2]', 'Write a JSON object'],
    ['JSON null', 'null', 'Write a JSON object'],
  ] as const) {
    it(`refuses ${what} in the extra settings, naming the field`, async () => {
      const before = await count(host)
      await client.get('/admin/services/new')
      const res = await client.post('/admin/services', form({ config_data: text }))
      expect(res.status).to.equal(422)
      expect(res.text).to.contain('id="admin-service-form-config_data-error"').and.contain(message)
      expect(await count(host)).to.equal(before)
    })
  }

  for (const [what, fields, field] of [
    ['a free-text name with capitals', { service_name_other: 'Bad_Name' }, 'service_name_other'],
    ['no name at all', { service_name_other: '' }, 'service_name'],
    ['a type no plugin offers', { service_name: 'not-a-type' }, 'service_name'],
    ['an oversized key', { api_key: 'k'.repeat(1001) }, 'api_key'],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const before = await count(host)
      await client.get('/admin/services/new')
      const res = await client.post('/admin/services', form(fields))
      expect(res.status).to.equal(422)
      expect(res.text).to.contain(`id="admin-service-form-${field}-error"`)
      expect(await count(host)).to.equal(before)
    })
  }

  it('tests what was typed before saving: the plugin\'s answer beside the form, nothing stored', async () => {
    const before = await count(host)
    await client.get('/admin/services/new')
    const typed = form({ service_name: 'fake-upstream', service_name_other: '', api_key: KEY, test: '1' })
    const tested = await client.post('/admin/services', typed)
    expect(tested.status).to.equal(200)
    expect(tested.text).to.include('OK').and.include('reached http://127.0.0.1:5055/api with key [API key]').and.include('Nothing was saved yet.')
    // Without JavaScript the form comes back whole, without the key: it says to type it again.
    expect(tested.text).to.match(/<form id="admin-service-form"/).and.include('type it again before saving')
    expect(tested.text).not.to.include(KEY)
    expect(await count(host)).to.equal(before)
    // With htmx only the result region is answered (the typed key stays in the form), focus on it.
    const failed = await client.post('/admin/services', { ...typed, api_key: '' }, { htmx: true })
    expect(failed.text).to.match(/^<div tabindex="-1" autofocus>/).and.include('Failed').and.not.include('<form')
    // A mistake, with htmx: the whole form comes back in place of the region's target.
    const mistaken = await client.post('/admin/services', { ...typed, service_url: 'ftp://nas.local/' }, { htmx: true })
    expect([mistaken.status, mistaken.headers.get('hx-retarget'), mistaken.headers.get('hx-reswap')]).to.deep.equal([422, '#admin-service-form', 'outerHTML'])
    expect(mistaken.text).to.match(/^<form id="admin-service-form"/)
    // A form with a mistake is not tested: the mistake is shown, 422, nothing stored.
    const wrong = await client.post('/admin/services', { ...typed, service_url: 'ftp://nas.local/' })
    expect(wrong.status).to.equal(422)
    expect(wrong.text).not.to.include('Nothing was saved yet.')
    expect(await count(host)).to.equal(before)

    // Editing: an empty key field tests with the stored key, as Save would keep it.
    const row = await create({ service_name: 'fake-upstream', service_name_other: '', api_key: KEY })
    const edit = await client.post(`/admin/services/${row.id}`, form({ service_name: 'fake-upstream', service_name_other: '', api_key: '', test: '1' }))
    expect(edit.status).to.equal(200)
    expect(edit.text).to.include('with key [API key]')
    // …but never sends it to an address typed in its place.
    const moved = await client.post(`/admin/services/${row.id}`, form({ service_name: 'fake-upstream', service_name_other: '', service_url: 'http://127.0.0.2:5055/', api_key: '', test: '1' }))
    expect(moved.text).to.include('with key null')
    expect(await host.db('service_configs').where({ id: row.id }).first()).to.deep.equal(row)
    await host.db('service_configs').where({ id: row.id }).del()
  })

  it('offers the plugins\' service types and accepts one', async () => {
    // Nothing is picked for the admin; ?type= (the setup guide's links) picks one.
    const page = await client.get('/admin/services/new')
    expect(page.text).to.contain('<option value="" disabled selected>Choose the kind of service…</option>')
    expect(page.text).to.contain('<option value="fake-upstream">Fake upstream (fake-upstream)</option>')
    expect((await client.get('/admin/services/new?type=fake-upstream')).text).to.contain('<option value="fake-upstream" selected>Fake upstream (fake-upstream)</option>')
    await host.db('service_configs').where({ service_name: 'fake-upstream' }).del()
    const res = await client.post('/admin/services', form({ service_name: 'fake-upstream', service_name_other: '' }))
    expect(res.status).to.equal(303)
    expect(await rowNamed(host, 'fake-upstream')).to.include({ service_url: 'http://127.0.0.1:5055/api' })
    await host.db('service_configs').where({ service_name: 'fake-upstream' }).del()
  })

  it('keeps offering a saved name that no enabled plugin owns', async () => {
    const row = await create()
    const edit = await client.get(`/admin/services/${row.id}`)
    expect(edit.text).to.contain(`<option value="${row.service_name}" selected>${row.service_name} (no enabled plugin)</option>`)
    const res = await client.post(`/admin/services/${row.id}`, form({ service_name: row.service_name, service_name_other: '', enabled: '' }))
    expect(res.status).to.equal(303)
    expect(await host.db('service_configs').where({ id: row.id }).first()).to.include({ service_name: row.service_name, enabled: false })
    await client.get('/admin/services/new')
    const elsewhere = await client.post('/admin/services', form({ service_name: row.service_name, service_name_other: '' }))
    expect(elsewhere.status).to.equal(422)
  })

  it('refuses a duplicate name as already configured, database unchanged', async () => {
    const existing = await create({ api_key: KEY })
    const other = await create()
    const before = await count(host)
    await client.get('/admin/services/new')
    const added = await client.post('/admin/services', form({ service_name_other: existing.service_name }))
    expect([409, 422]).to.include(added.status)
    expect(added.text).to.contain('already configured')
    expect(await count(host)).to.equal(before)
    const renamed = await client.post(`/admin/services/${other.id}`, form({ service_name_other: existing.service_name }))
    expect(renamed.text).to.contain('already configured')
    expect(await host.db('service_configs').where({ id: other.id }).first()).to.deep.equal(other)
    expect(await host.db('service_configs').where({ id: existing.id }).first()).to.deep.equal(existing)
  })

  describe('test connection', () => {
    it('says when no enabled plugin knows the service type, inline for htmx and as a page without', async () => {
      const row = await create()
      await client.get('/admin/services')
      const inline = await client.post(`/admin/services/${row.id}/test`, {}, { htmx: true })
      expect(inline.status).to.equal(200)
      expect(inline.text).not.to.contain('<html')
      expect(inline.text).to.contain(`No enabled plugin knows how to test a &#39;${row.service_name}&#39; service.`)
      const page = await client.post(`/admin/services/${row.id}/test`)
      expect(page.status).to.equal(200)
      expect(page.text).to.contain('<html')
      expect(page.text).to.match(new RegExp(`id="admin-service-test-${row.id}"[^>]*>\\s*<p class="alert alert-error"`))
      expect(page.text).to.contain('No enabled plugin knows how to test')
    })

    it('runs the owning plugin\'s test with the decrypted key, and never shows the key', async () => {
      await host.db('service_configs').where({ service_name: 'fake-upstream' }).del()
      await client.get('/admin/services/new')
      await client.post('/admin/services', form({ service_name: 'fake-upstream', service_name_other: '', api_key: KEY }))
      const row = await rowNamed(host, 'fake-upstream')
      const res = await client.post(`/admin/services/${row.id}/test`, {}, { htmx: true })
      expect(res.text).to.contain('OK').and.contain('reached http://127.0.0.1:5055/api with key [API key]').and.contain('7 ms')
      expect(res.text).not.to.contain(KEY)

      await host.db('service_configs').where({ id: row.id }).update({ config_data: JSON.stringify({ mode: 'throw' }) })
      const failed = await client.post(`/admin/services/${row.id}/test`, {}, { htmx: true })
      expect(failed.text).to.contain('Failed').and.contain('Fake upstream: answered 401: check the API key (http://127.0.0.1:5055/api)')
      await host.db('service_configs').where({ id: row.id }).del()
    })
  })

  it('bounds a test that never answers, even when the plugin ignores the signal', async () => {
    const row = await create()
    const hanging: ServiceType = {
      name: row.service_name, label: 'Slow thing',
      test: () => new Promise(() => undefined),
    }
    const began = Date.now()
    const result = await checkService([hanging], row as ServiceConfigRow, host.app.core.secrets, { timeoutMs: 500 })
    expect(Date.now() - began).to.be.below(5000)
    expect(result.ok).to.equal(false)
    expect(result.message).to.match(/^Slow thing did not answer within \d+ s\.$/)
  })

  it('deletes after a confirmation page', async () => {
    const row = await create({ api_key: KEY })
    const confirm = await client.get(`/admin/services/${row.id}/delete`)
    expect(confirm.status).to.equal(200)
    expect(confirm.text).to.contain(`action="/admin/services/${row.id}/delete"`).and.contain('name="_csrf"')
    expect(confirm.text).not.to.contain('hx-confirm="js:')
    const res = await client.post(`/admin/services/${row.id}/delete`)
    expect(res.status).to.equal(303)
    expect(res.location).to.equal('/admin/services')
    expect(await host.db('service_configs').where({ id: row.id }).first()).to.equal(undefined)
    expect((await client.post(`/admin/services/${row.id}/delete`)).status).to.equal(404)
  })

  it('answers 404 for malformed or unknown ids', async () => {
    await client.get('/admin/services')
    for (const id of ['abc', '0', '-1', '1.5', '99999999999', '2147483647']) {
      expect((await client.get(`/admin/services/${id}`)).status, id).to.equal(404)
      expect((await client.post(`/admin/services/${id}/test`)).status, id).to.equal(404)
      expect((await client.post(`/admin/services/${id}`, form())).status, id).to.equal(404)
    }
  })

  it('htmx form posts get an HX-Redirect on success and the form fragment on error', async () => {
    await client.get('/admin/services/new')
    const ok = await client.post('/admin/services', form(), { htmx: true })
    expect(ok.status).to.equal(204)
    expect(ok.headers.get('hx-redirect')).to.equal('/admin/services')
    const bad = await client.post('/admin/services', form({ service_url: 'gopher://x' }), { htmx: true })
    expect(bad.status).to.equal(422)
    expect(bad.text.trimStart().startsWith('<form id="admin-service-form"')).to.equal(true)
  })
})

describe('admin: a service type\'s declared fields', function () {
  this.timeout(120_000)
  const TOUR = fileURLToPath(new URL('../fixtures/plugins/api-tour', import.meta.url))
  const SECRET = 'hook-SECRET-value-93ab7'
  let host: TestHost
  let client: TestClient

  before(async () => {
    host = await startTestHost({ config: LIMITS, plugins: { 'api-tour': { enabled: true, source: TOUR } } })
    client = (await host.signedIn(await host.createUser({ role: 'ADMIN' }))).client
  })
  after(async () => { await host.stop() })

  const hooksForm = (fields: Record<string, string> = {}) => ({
    service_name: 'api-tour-hooks', service_name_other: '', service_url: 'http://127.0.0.1:5055/', api_key: '', enabled: '1',
    field_region: 'eu-west', field_port: '8080', field_callback: 'https://example.com/cb', field_verbose: '1', field_webhookSecret: SECRET, ...fields,
  })

  it('shows the chosen type\'s fields, and the JSON box only for types without fields', async () => {
    const page = (await client.get('/admin/services/new?type=api-tour-hooks')).text
    expect(page).to.contain('name="field_region"').and.contain('Region (required)').and.contain('Where the tour runs.')
    expect(page).to.contain('name="field_port"').and.contain('type="url" name="field_callback"').and.contain('type="checkbox" name="field_verbose"')
    expect(page).to.match(/type="password" name="field_webhookSecret"/)
    expect(page).to.contain('id="admin-service-form-field_webhookSecret-state">not set<')
    expect(page).to.not.contain('name="config_data"')
    expect(page).to.contain('name="show_fields"').and.contain('hx-get="/admin/services/new/type-fields"')
    const plain = (await client.get('/admin/services/new?type=api-tour-svc')).text
    expect(plain).to.contain('name="config_data"').and.not.contain('name="field_region"')

    // htmx: the select swaps in the fields fragment alone.
    const fragment = await client.get('/admin/services/new/type-fields?service_name=api-tour-hooks', { htmx: true })
    expect(fragment.status).to.equal(200)
    expect(fragment.text.trimStart().startsWith('<div id="admin-service-form-type-fields"')).to.equal(true)
    expect(fragment.text).to.contain('name="field_region"')
    // Without JS: "Show the fields for this type" renders the form again, saving nothing.
    const before = await count(host)
    const shown = await client.post('/admin/services', { ...hooksForm({ field_region: '', field_webhookSecret: '' }), show_fields: '1' })
    expect(shown.status).to.equal(200)
    expect(shown.text).to.contain('name="field_region"').and.not.contain('field-error')
    expect(await count(host)).to.equal(before)
  })

  it('refuses a missing required field with 422 beside the field, every problem at once, and saves nothing', async () => {
    const before = await count(host)
    await client.get('/admin/services/new?type=api-tour-hooks')
    const res = await client.post('/admin/services', hooksForm({ field_region: ' ', field_port: 'eighty', field_callback: 'javascript:alert(1)' }))
    expect(res.status).to.equal(422)
    expect(res.text).to.match(/id="admin-service-form-field_region-error">Region is required\./)
    expect(res.text).to.match(/id="admin-service-form-field_port-error">Port must be a number/)
    expect(res.text).to.match(/id="admin-service-form-field_callback-error">Callback address must be an http/)
    expect(res.text).to.not.contain(SECRET)
    expect(await count(host)).to.equal(before)
    expect(await rowNamed(host, 'api-tour-hooks')).to.equal(undefined)
  })

  it('seals a secret field in the row, never shows it, and hands the values to test() and ctx.services.get', async () => {
    await client.get('/admin/services/new?type=api-tour-hooks')
    const created = await client.post('/admin/services', hooksForm())
    expect(created.status, created.text.slice(0, 1000)).to.equal(303)
    const row = await rowNamed(host, 'api-tour-hooks')
    expect(JSON.stringify(row)).to.not.contain(SECRET)
    expect(row.config_data).to.deep.equal({ region: 'eu-west', port: 8080, callback: 'https://example.com/cb', verbose: true })
    expect(row.sealed_fields.webhookSecret.startsWith('v1:')).to.equal(true)
    expect(host.app.core.secrets.decrypt(row.sealed_fields.webhookSecret, fieldAad('api-tour-hooks', 'webhookSecret'))).to.equal(SECRET)
    expect(() => host.app.core.secrets.decrypt(row.sealed_fields.webhookSecret, apiKeyAad('api-tour-hooks'))).to.throw()

    const record = await host.app.core.services.get('api-tour-hooks')
    expect(record!.fields).to.deep.equal({ region: 'eu-west', port: 8080, callback: 'https://example.com/cb', verbose: true, webhookSecret: SECRET })

    const edit = (await client.get(`/admin/services/${row.id}`)).text
    expect(edit).to.contain('id="admin-service-form-field_webhookSecret-state">set<').and.contain('value="eu-west"').and.contain('name="field_webhookSecret_clear"')
    const tested = await client.post(`/admin/services/${row.id}/test`)
    expect(tested.text).to.contain(`region=eu-west port=8080 verbose=true secret=[secret] (${SECRET.length} chars)`)
    for (const page of [edit, tested.text, (await client.get('/admin/services')).text]) expect(page).to.not.contain(SECRET)

    // The secret the admin typed is what the plugin's webhook checks.
    const delivery = await fetch(`${host.url}/api-tour/hooks/overseerr`, { method: 'POST', headers: { Authorization: SECRET, 'Content-Type': 'application/json' }, body: '{}' })
    expect(delivery.status).to.equal(202)
  })

  it('refuses at boot fields with unsafe or repeated names, unknown types or no label, naming the plugin', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-bad-fields-'))
    fs.writeFileSync(path.join(dir, 'index.ts'), `
import { definePlugin } from ${JSON.stringify(PLUGIN_API)}
export default definePlugin({ name: 'bad-fields', version: '1.0.0', api: '^1.1.0', register() { return { serviceTypes: [{
  name: 'bad-fields', label: 'Bad', async test() { return { ok: true, message: '' } },
  fields: [
    { name: '__proto__', label: 'Proto', type: 'text' },
    { name: 'token', label: 'Token', type: 'secret' },
    { name: 'token', label: 'Again', type: 'secret' },
    { name: 'colour', label: 'Colour', type: 'select' },
    { name: 'quiet', type: 'checkbox' },
  ],
}] } } })
`)
    const problems = await bootProblems({ 'bad-fields': { enabled: true, source: dir } }, () => fs.rmSync(dir, { recursive: true, force: true }))
    expect(problems).to.deep.equal([
      'plugin "bad-fields": service type "bad-fields" field "__proto__": the name must be a letter then letters, digits or underscores (at most 64)',
      'plugin "bad-fields": service type "bad-fields" field "token" is declared twice',
      'plugin "bad-fields": service type "bad-fields" field "colour": type must be one of text, url, secret, number, checkbox, textarea',
      'plugin "bad-fields": service type "bad-fields" field "quiet" needs a label',
    ])
  })

  it('keeps a secret left empty, clears it when ticked or when the address moves to another server', async () => {
    const row = await rowNamed(host, 'api-tour-hooks')
    const sealed = () => rowNamed(host, 'api-tour-hooks').then((r) => r.sealed_fields ?? {})
    await client.get(`/admin/services/${row.id}`)
    expect((await client.post(`/admin/services/${row.id}`, hooksForm({ field_webhookSecret: '', field_region: 'us' }))).status).to.equal(303)
    expect((await sealed()).webhookSecret).to.equal(row.sealed_fields.webhookSecret)
    expect((await rowNamed(host, 'api-tour-hooks')).config_data.region).to.equal('us')

    const moved = await client.post(`/admin/services/${row.id}`, hooksForm({ field_webhookSecret: '', service_url: 'http://10.0.0.9:5055/' }))
    expect(moved.location).to.equal('/admin/services')
    expect((await client.get('/admin/services')).text).to.include('secret settings were cleared')
    expect(await sealed()).to.deep.equal({})

    await client.post(`/admin/services/${row.id}`, hooksForm({ service_url: 'http://10.0.0.9:5055/' }))
    expect(Object.keys(await sealed())).to.deep.equal(['webhookSecret'])
    const both = await client.post(`/admin/services/${row.id}`, hooksForm({ field_webhookSecret_clear: '1', service_url: 'http://10.0.0.9:5055/' }))
    expect(both.status).to.equal(422)
    await client.post(`/admin/services/${row.id}`, hooksForm({ field_webhookSecret: '', field_webhookSecret_clear: '1', service_url: 'http://10.0.0.9:5055/' }))
    expect(await sealed()).to.deep.equal({})
    expect((await host.app.core.services.get('api-tour-hooks'))!.fields.webhookSecret).to.equal(null)
  })
})
