import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { bootProblems, startTestHost, type TestHost } from '../support/test-host.ts'
import type { TestClient } from '../support/http-client.ts'
import { logDuring } from '../support/log-capture.ts'
import { waitFor } from '../support/wait-for.ts'

const TOUR = fileURLToPath(new URL('../fixtures/plugins/api-tour', import.meta.url))
const PLUGIN_API = fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))

/** A one-file community plugin in a temporary folder, returning what register() is given as text. */
function writePlugin(name: string, contributions: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `medianest-${name}-`))
  fs.writeFileSync(path.join(dir, 'index.ts'), `
import { definePlugin } from ${JSON.stringify(PLUGIN_API)}
export default definePlugin({ name: '${name}', version: '1.0.0', api: '^1.1.0', register() { return ${contributions} } })
`)
  return dir
}
const tour = { 'api-tour': { enabled: true, source: TOUR } }
const json = (text: string) => JSON.parse(text)
const jsonClient = (client: TestClient) => ({
  get: async (path: string) => json((await client.get(path, { headers: { Accept: 'application/json' } })).text),
  post: (path: string, form: Record<string, string> = {}) => client.post(path, form, { headers: { Accept: 'application/json' } }),
})

describe('plugin API 1.1: events, users, services and jobs through the contract', function () {
  this.timeout(60_000)
  let host: TestHost
  let admin: Awaited<ReturnType<TestHost['signedIn']>>
  const seen = (subscription: string, event?: string) =>
    host.db('api_tour_seen').where({ subscription, ...(event ? { event } : {}) }).orderBy('id')

  before(async () => {
    host = await startTestHost({ plugins: tour })
    admin = await host.signedIn(await host.createUser({ role: 'ADMIN', name: 'Ada' }))
  })
  after(async () => { await host.stop() })

  it('lists the core\'s and every running plugin\'s event types', async () => {
    const types = await jsonClient(admin.client).get('/api-tour/types') as Array<{ event: string; plugin: string; audience: string }>
    const byEvent = new Map(types.map((t) => [t.event, t]))
    for (const event of ['core.user.created', 'core.user.updated', 'core.user.deleted', 'core.service.updated']) {
      expect(byEvent.get(event)?.plugin, event).to.equal('core')
    }
    expect(byEvent.get('api-tour.thing.happened')).to.include({ plugin: 'api-tour', audience: 'subject' })
  })

  it('describes a payload in words, and skips (and logs, naming the plugin) a describe that throws', async () => {
    const api = jsonClient(admin.client)
    const ok = json((await api.post('/api-tour/describe', { event: 'api-tour.thing.happened', title: '<b>big</b>' })).text)
    expect(ok.described).to.deep.equal({ title: 'A thing happened', message: 'It was <b>big</b>.', link: '/api-tour/types' })
    const lines = await logDuring(host.app.log, 'warn', async () => {
      const broken = json((await api.post('/api-tour/describe', { event: 'api-tour.thing.broke' })).text)
      expect(broken.described).to.equal(null)
    })
    expect(lines.map((l) => String(l.message)).join('\n')).to.match(/event type "api-tour\.thing\.broke" of plugin "api-tour": describe\(\) threw/)
    const unknown = json((await api.post('/api-tour/describe', { event: 'nobody.thing.happened' })).text)
    expect(unknown.described).to.equal(null)
  })

  it('(1.12) cleans a description for every reader: no control characters, the message cut with an ellipsis', async () => {
    const api = jsonClient(admin.client)
    const long = json((await api.post('/api-tour/describe', { event: 'api-tour.thing.happened', title: `\u0007bell ${'x'.repeat(2100)}` })).text)
    expect(long.described.message).to.have.length(2000)
    expect(long.described.message.startsWith('It was bell xx')).to.equal(true)
    expect(long.described.message.endsWith('x…')).to.equal(true)
  })

  it('delivers to an exact subscription and to a pattern, each once', async () => {
    await jsonClient(admin.client).post('/api-tour/emit', { title: 'fine' })
    await waitFor('both subscriptions to see the event', async () => (await seen('api-tour.*', 'api-tour.thing.happened')).length === 1 && (await seen('api-tour.thing.happened')).length === 1)
    expect((await seen('api-tour.thing.happened'))[0].payload).to.include({ userId: admin.user.id, title: 'fine' })
  })

  it('emits nothing when the emitting transaction rolls back', async () => {
    const before = Number((await host.db('jobs').where({ name: 'core.event-delivery' }).count('* as n').first())!.n)
    await jsonClient(admin.client).post('/api-tour/emit', { rollback: '1' })
    const after = Number((await host.db('jobs').where({ name: 'core.event-delivery' }).count('* as n').first())!.n)
    expect(after).to.equal(before)
  })

  it('tells plugins about users created, changed and deleted from the admin pages', async () => {
    const { client } = admin
    await client.get('/admin/users/new')
    const created = await client.post('/admin/users', { email: 'newcomer@example.com', name: 'New', role: 'USER' })
    expect(created.status).to.equal(201)
    const row = await host.db('users').where({ email: 'newcomer@example.com' }).first()
    await waitFor('core.user.created', async () => (await seen('core.*', 'core.user.created')).some((s) => s.payload.userId === row.id))
    const createdFact = (await seen('core.*', 'core.user.created')).find((s) => s.payload.userId === row.id)!
    expect(createdFact.payload).to.deep.include({ email: 'newcomer@example.com', role: 'USER', via: 'admin', by: admin.user.id })

    await client.get(`/admin/users/${row.id}`)
    await client.post(`/admin/users/${row.id}/role`, { role: 'ADMIN' })
    await waitFor('core.user.updated', async () => (await seen('core.*', 'core.user.updated')).some((s) => s.payload.userId === row.id))
    const updated = (await seen('core.*', 'core.user.updated')).find((s) => s.payload.userId === row.id)!
    expect(updated.payload).to.deep.include({ role: 'ADMIN', status: 'active', changes: ['role'] })

    // The plugin keeps rows for this user without a foreign key; deleting the user removes them.
    await host.db('api_tour_notes').insert([{ user_id: row.id, text: 'mine' }, { user_id: admin.user.id, text: 'the admin\'s' }])
    expect((await client.get(`/admin/users/${row.id}/delete`)).text).to.include('Delete the account of newcomer@example.com?')
    const deleted = await client.post(`/admin/users/${row.id}/delete`)
    expect(deleted.status).to.equal(303)
    expect(deleted.location).to.equal('/admin/users?done=deleted')
    expect(await host.db('users').where({ id: row.id }).first()).to.equal(undefined)
    await waitFor('the plugin to delete its rows', async () => (await host.db('api_tour_notes').where({ user_id: row.id })).length === 0)
    expect(await host.db('api_tour_notes').where({ user_id: admin.user.id })).to.have.length(1)
    // The '*' subscriber's delivery is its own job: it may land after the plugin's rows are gone.
    await waitFor('core.user.deleted', async () => (await seen('core.*', 'core.user.deleted')).some((s) => s.payload.userId === row.id))
    expect((await seen('core.*', 'core.user.deleted')).find((s) => s.payload.userId === row.id)?.payload).to.deep.include({ email: 'newcomer@example.com' })
  })

  it('refuses to delete your own account or the last admin, and changes nothing', async () => {
    const self = await admin.client.post(`/admin/users/${admin.user.id}/delete`)
    expect(self.status).to.equal(409)
    expect(self.text).to.include('You cannot delete your own account')
    expect(await host.db('users').where({ id: admin.user.id }).first()).to.not.equal(undefined)
  })

  it('tells plugins when a service is added, changed and removed', async () => {
    const { client } = admin
    await client.get('/admin/services/new')
    const form = { service_name: 'api-tour-svc', service_name_other: '', service_url: 'http://127.0.0.1:9/good', api_key: 'k-123456', enabled: '1', config_data: '{}' }
    expect((await client.post('/admin/services', form)).status).to.equal(303)
    const svc = await host.db('service_configs').where({ service_name: 'api-tour-svc' }).first()
    await client.post(`/admin/services/${svc.id}`, { ...form, service_url: 'http://127.0.0.1:9/other', api_key: '' })
    await client.post(`/admin/services/${svc.id}/delete`)
    await waitFor('three core.service.updated', async () => (await seen('core.*', 'core.service.updated')).length >= 3)
    const facts = (await seen('core.*', 'core.service.updated')).map((s) => s.payload)
    expect(facts.map((f) => f.action)).to.deep.equal(['created', 'updated', 'deleted'])
    expect(facts[1]).to.deep.include({ serviceName: 'api-tour-svc', changedFields: ['service_url'], by: admin.user.id })
  })

  it('reads users with public fields and linked accounts only', async () => {
    const friend = await host.createUser()
    await host.db('accounts').insert({ user_id: friend.id, type: 'oauth', provider: 'plex', provider_account_id: '4242', access_token: 'sealed-elsewhere' })
    const { client } = await host.signedIn(friend)
    const answer = await jsonClient(client).get('/api-tour/users')
    expect(answer.me).to.deep.include({ id: friend.id, email: friend.email, role: 'USER', status: 'active', emailVerified: false })
    expect(answer.me.accounts).to.deep.equal([{ provider: 'plex', providerAccountId: '4242' }])
    expect(Object.keys(answer.me).sort()).to.deep.equal(['accounts', 'createdAt', 'email', 'emailVerified', 'id', 'image', 'name', 'role', 'status'])
    expect(answer.nobody).to.equal(null)
    expect(answer.admins.map((u: { id: string }) => u.id)).to.include(admin.user.id)
    expect(answer.admins.every((u: { role: string }) => u.role === 'ADMIN')).to.equal(true)
    expect(answer.active.map((u: { id: string }) => u.id)).to.deep.equal([friend.id])
    expect(JSON.stringify(answer)).not.to.match(/password|argon2|sealed-elsewhere|token/i)
  })

  it('runs any service\'s health check without importing its plugin, bounded in time', async () => {
    const { client } = admin
    const api = jsonClient(client)
    await host.db('service_configs').insert([
      { service_name: 'api-tour-svc', service_url: 'http://127.0.0.1:9/good', enabled: true, config_data: '{}' },
    ])
    const good = await api.get('/api-tour/services?name=api-tour-svc')
    expect(good.types).to.deep.include({ name: 'api-tour-svc', label: 'Tour service', plugin: 'api-tour', fields: [], fallback: false })
    expect(good.result).to.deep.include({ ok: true, message: 'Tour service answered.' })
    await host.db('service_configs').where({ service_name: 'api-tour-svc' }).update({ service_url: 'http://127.0.0.1:9/hang' })
    const began = Date.now()
    const hung = await api.get('/api-tour/services?name=api-tour-svc')
    expect(Date.now() - began).to.be.below(5000)
    expect(hung.result).to.deep.include({ ok: false, message: 'Tour service did not answer within 1 s.' })
    const missing = await api.get('/api-tour/services?name=nothing-here')
    expect(missing.result).to.deep.equal({ ok: false, message: 'No service named "nothing-here" is configured.' })
    await host.db('service_configs').where({ service_name: 'api-tour-svc' }).del()
  })

  it('refuses at enqueue a job nobody declared, and a payload the job\'s schema refuses', async () => {
    const api = jsonClient(admin.client)
    const jobs = async () => Number((await host.db('jobs').where('name', 'like', 'api-tour.%').count('* as n').first())!.n)
    const before = await jobs()
    const undeclared = await api.post('/api-tour/enqueue', { job: 'nope', count: '1' })
    expect(undeclared.status).to.equal(500)
    const bad = await api.post('/api-tour/enqueue', { job: 'count', count: '0' })
    expect(bad.status).to.equal(422)
    expect(json(bad.text).error.message).to.include('The job "api-tour.count" cannot take this payload: count:')
    expect(await jobs()).to.equal(before)
    expect((await api.post('/api-tour/enqueue', { job: 'count', count: '2' })).status).to.equal(202)
    expect(await jobs()).to.equal(before + 1)
  })
})

describe('plugin API 1.1: what the host checks at boot', function () {
  this.timeout(60_000)

  it('warns about a handler for an event no running plugin declares', async () => {
    let host: TestHost | undefined
    try {
      host = await startTestHost({ plugins: tour })
      expect(host.app.host.undeclaredSubscriptions()).to.deep.equal([
        'plugin "api-tour" handles "elsewhere.thing.happened", but no running plugin declares that event in its eventTypes; check the name',
      ])
    } finally {
      await host?.stop()
    }
  })

  it('refuses event types outside the plugin\'s prefix, with a bad audience, or declared twice, naming the plugin', async () => {
    const dir = writePlugin('odd-events', `{ eventTypes: [
      { event: 'overseerr.request.created', title: 'Stolen', audience: 'admins', describe: () => ({ title: 'x', message: 'y' }) },
      { event: 'odd-events.thing.done', title: 'Fine', audience: 'nobody', describe: () => ({ title: 'x', message: 'y' }) },
      { event: 'odd-events.thing.done', title: 'Twice', audience: 'admins', describe: () => ({ title: 'x', message: 'y' }) },
      { event: 'odd-events.other.done', title: 'No words', audience: 'admins' },
    ], on: [{ event: 'odd-events.**', handle() {} }] }`)
    const problems = await bootProblems({ 'odd-events': { enabled: true, source: dir } }, () => fs.rmSync(dir, { recursive: true, force: true }))
    expect(problems).to.deep.equal([
      'plugin "odd-events": handler for "odd-events.**": use an event name \'<plugin>.<noun>.<past-verb>\', or a pattern such as \'my-plugin.*\' or \'*\'',
      'plugin "odd-events": event type "overseerr.request.created" must be named \'odd-events.<noun>.<past-verb>\' (its own prefix)',
      'plugin "odd-events": event type "odd-events.thing.done": audience must be \'subject\', \'admins\' or \'everyone\'',
      'plugin "odd-events": event type "odd-events.other.done" has no describe(payload) function',
      'plugin "odd-events": two event types share the id "odd-events.thing.done"',
    ])
  })

  it('keeps loading a plugin written for API 1.0', async () => {
    const dir = writePlugin('old-timer', `{ nav: [{ label: 'Old', href: '/old-timer' }] }`)
    fs.writeFileSync(path.join(dir, 'index.ts'), fs.readFileSync(path.join(dir, 'index.ts'), 'utf8').replace("api: '^1.1.0'", "api: '^1.0.0'"))
    const host = await startTestHost({ plugins: { 'old-timer': { enabled: true, source: dir } } })
    try {
      expect(host.app.host.plugins.find((p) => p.name === 'old-timer')?.state).to.equal('started')
    } finally {
      await host.stop()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
