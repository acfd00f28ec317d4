import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { loadConfig } from '../../core/config.ts'
import { createLogger } from '../../core/log.ts'
import { PluginHost } from '../../core/plugins/host.ts'
import { PluginConfigError, PluginStartError } from '../../core/plugin-api.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const log = createLogger('error')
const fixtures = (p: string) => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url))

async function problemsOf(plugins: Record<string, unknown>, firstPartyDir?: string): Promise<string[]> {
  const config = loadConfig({ env: {}, overrides: { plugins }, cwd: os.tmpdir() })
  try {
    await PluginHost.prepare(config, log, { firstPartyDir })
  } catch (error) {
    if (error instanceof PluginConfigError) return error.problems
    throw error
  }
  return []
}

async function trackingTables(host: TestHost): Promise<string[]> {
  return host.db('information_schema.tables').where({ table_schema: 'public' }).andWhere('table_name', 'like', 'knex_migrations__%').pluck('table_name')
}

describe('plugin host: enabling and disabling by config', function () {
  this.timeout(60_000)
  let host: TestHost | undefined
  afterEach(async () => { await host?.stop(); host = undefined })

  it('a disabled plugin has no routes, nav, widget or migrations', async () => {
    host = await startTestHost() // hello is disabled by default
    const { client } = await host.signedIn()
    expect((await client.get('/hello')).status).to.equal(404)
    const dashboard = await client.get('/')
    expect(dashboard.text).not.to.include('href="/hello"')
    expect(dashboard.text).not.to.include('hello-widget-greetings')
    expect(await trackingTables(host)).not.to.include('knex_migrations__hello')
    expect(await host.db('information_schema.tables').where({ table_name: 'hello_greetings' }).first()).to.equal(undefined)
  })

  it('an enabled plugin mounts its route, nav, widget and migration', async () => {
    host = await startTestHost({ plugins: { hello: { enabled: true, config: { greeting: 'Ahoy' } } } })
    const { client } = await host.signedIn()
    const page = await client.get('/hello')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('Ahoy, ')
    const dashboard = await client.get('/')
    expect(dashboard.text).to.include('href="/hello"')
    expect(dashboard.text).to.include('id="hello-widget-greetings"')
    expect(dashboard.text).to.include('hx-get="/widgets/hello/greetings" hx-trigger="load, every 60s"')
    const widget = await client.get('/widgets/hello/greetings', { htmx: true })
    expect(widget.status).to.equal(200)
    expect(widget.text).to.include('0</span> greetings so far')
    expect(await trackingTables(host)).to.include('knex_migrations__hello')
  })

  it('loads a community plugin from a folder outside plugins/, exactly like a first-party one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-community-'))
    const target = path.join(dir, 'community-hello')
    fs.cpSync(fixtures('plugins/community-hello'), target, { recursive: true })
    // The copy imports the core through a path relative to the repository.
    for (const file of ['index.ts', 'migrations/202611250001_create_visits.ts']) {
      const f = path.join(target, file)
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/(\.\.\/)+core\/plugin-api\.ts/, fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))))
    }
    try {
      host = await startTestHost({ plugins: { 'community-hello': { enabled: true, source: target, config: { word: 'Hi' } } } })
      const { client } = await host.signedIn()
      const page = await client.get('/community-hello')
      expect(page.status).to.equal(200)
      expect(page.text).to.include('Hi! 1 visits.')
      const fragment = await client.get('/community-hello', { htmx: true })
      expect(fragment.text.trim()).to.equal('<p id="community-hello-visits">Hi! 2 visits.</p>')
      const dashboard = await client.get('/')
      expect(dashboard.text).to.include('href="/community-hello"').and.include('id="community-hello-widget-visits"')
      expect(await trackingTables(host)).to.include('knex_migrations__community_hello')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('keeps running with a plugin whose start fails and onStartFailure is "disable"; its routes 404', async () => {
    host = await startTestHost({ firstPartyDir: fixtures('first-party-failing'), plugins: { flaky: { enabled: true, onStartFailure: 'disable' } } })
    const { client } = await host.signedIn()
    expect((await client.get('/flaky')).status).to.equal(404)
    expect((await client.get('/')).text).not.to.include('href="/flaky"')
    const state = host.app.host.plugins.find((p) => p.name === 'flaky')!
    expect(state.state).to.equal('disabled')
    expect(state.failure).to.include('the upstream is down')
  })

  it('refuses to boot when a plugin with onStartFailure "abort" fails to start', async () => {
    let error: unknown
    try {
      host = await startTestHost({ firstPartyDir: fixtures('first-party-failing'), plugins: { flaky: { enabled: true } } })
    } catch (e) {
      error = e
    }
    expect(error).to.be.instanceOf(PluginStartError)
    expect((error as Error).message).to.equal('flaky: failed to start: the upstream is down')
  })
})

describe('plugin host: validation reports every problem at once', () => {
  it('names a missing dependency', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-dep-'))
    const api = fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))
    fs.writeFileSync(path.join(dir, 'index.ts'), `import { definePlugin } from '${api}'\nexport default definePlugin({ name: 'needy', version: '1.0.0', api: '^1.0.0', dependsOn: ['nowhere'], register: () => ({}) })\n`)
    try {
      expect(await problemsOf({ needy: { source: dir } })).to.deep.equal(['plugin "needy": depends on "nowhere", which is not installed'])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('names a migration file the migrator would skip, so its table is never silently missing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-migrations-'))
    const api = fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))
    fs.writeFileSync(path.join(dir, 'index.ts'), `import { definePlugin } from '${api}'\nexport default definePlugin({ name: 'notes', version: '1.0.0', api: '^1.0.0', migrations: new URL('./migrations', import.meta.url), register: () => ({}) })\n`)
    fs.mkdirSync(path.join(dir, 'migrations'))
    for (const f of ['202601010001_create_notes.ts', '20260101000002_add_tags.ts', 'create-more.js', 'types.d.ts', 'README.md']) fs.writeFileSync(path.join(dir, 'migrations', f), '')
    try {
      expect(await problemsOf({ notes: { source: dir } })).to.deep.equal([
        'plugin "notes": migrations/20260101000002_add_tags.ts is not named like a migration, so it would never run: 12 digits, an underscore, lower-case words (e.g. 202601010001_create_notes.ts)',
        'plugin "notes": migrations/create-more.js is not named like a migration, so it would never run: 12 digits, an underscore, lower-case words (e.g. 202601010001_create_notes.ts)',
      ])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('prints a dependency cycle', async () => {
    const problems = await problemsOf({}, fixtures('first-party-cycle'))
    expect(problems).to.deep.equal(['dependency cycle: alpha -> beta -> alpha'])
  })

  it('names a disabled dependency', async () => {
    const problems = await problemsOf({ beta: { enabled: false } }, fixtures('first-party-cycle'))
    expect(problems).to.deep.equal(['plugin "alpha": depends on "beta", which is disabled in the config'])
  })

  it('reports a bad config slice with its path, an unknown plugin and a missing source together', async () => {
    const problems = await problemsOf({
      hello: { enabled: true, config: { greeting: '' } },
      'no-such-plugin': { enabled: true },
      'lost-plugin': { enabled: true, source: './does-not-exist' },
    })
    expect(problems).to.have.length(3)
    expect(problems[0]).to.equal('plugins.no-such-plugin: there is no first-party plugin named "no-such-plugin"; a community plugin needs "source" (a folder or an npm package)')
    expect(problems[1]).to.match(/^plugins\.lost-plugin\.source: the folder .*does-not-exist does not exist$/)
    expect(problems[2]).to.match(/^plugins\.hello\.config\.greeting: .* \(got ""\)$/)
  })
})
