import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { verifyPassword } from '../../core/auth/passwords.ts'
import type { UserRow } from '../../core/auth/users.ts'
import { loadConfig } from '../../core/config.ts'
import { openDatabase, toCount, type Database } from '../../core/db.ts'
import { createLogger } from '../../core/log.ts'
import { PluginConfigError } from '../../core/plugin-api.ts'
import { PluginHost } from '../../core/plugins/host.ts'
import { createSecrets, loadKeyRing } from '../../core/secrets.ts'
import { apiKeyAad, type ServiceConfigRow } from '../../core/services/configs.ts'
import { runCli } from '../support/cli-run.ts'
import { freshDatabase, initializedDataDir, onPostgres, type TestDatabase } from '../support/test-db.ts'

const API = fileURLToPath(new URL('../../core/plugin-api.ts', import.meta.url))
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const log = createLogger('error')
log.silent = true

/** One MediaNest install: a folder (config file, DATA_DIR) and, on PostgreSQL, a database of its own. */
interface Install {
  dir: string
  cli(args: string[]): ReturnType<typeof runCli>
  withDb<T>(work: (db: Database) => Promise<T>): Promise<T>
  counts(): Promise<Record<string, number>>
  remove(): Promise<void>
}

async function newInstall(config: Record<string, unknown> = {}): Promise<Install> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-seed-'))
  fs.writeFileSync(path.join(dir, 'medianest.config.json'), JSON.stringify(config))
  const database: TestDatabase | undefined = onPostgres ? await freshDatabase() : undefined
  const dataDir = path.join(dir, 'data')
  if (!onPostgres) await initializedDataDir(dataDir)
  const install: Install = {
    dir,
    cli: (args) => runCli(args, { cwd: dir, env: { DATA_DIR: dataDir, ...(database?.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}) } }),
    // Opened only while no command holds the embedded database.
    async withDb(work) {
      const db = await openDatabase({ databaseUrl: database?.databaseUrl, dataDir, log })
      try {
        return await work(db)
      } finally {
        await db.close()
      }
    },
    counts: () => install.withDb(async (db) => {
      const count = async (table: string, where: Record<string, unknown> = {}) =>
        (await db.knex.schema.hasTable(table)) ? toCount((await db.knex(table).where(where).first(db.knex.raw('count(*)::int as n')))?.n) : -1
      return {
        users: await count('users'), admins: await count('users', { role: 'ADMIN' }), sessions: await count('sessions'),
        services: await count('service_configs'), errorLogs: await count('error_logs'), greetings: await count('hello_greetings'),
      }
    }),
    async remove() {
      await database?.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
  return install
}

describe('medianest seed demo', function () {
  // Each run migrates and seeds a database: seconds each.
  this.timeout(180_000)

  describe('on a fresh install, then again', () => {
    let install: Install
    let password: string
    let afterSeed: Record<string, number>

    before(async () => { install = await newInstall({ plugins: { hello: { enabled: true } } }) })
    after(async () => { await install.remove() })

    it('fills a fresh database: an admin with a password printed once, five people, sessions on several devices, sealed services, error-log entries, and the hello plugin\'s seed', async () => {
      const run = await install.cli(['seed', 'demo'])
      expect(run.code, run.stderr).to.equal(0)
      expect(run.stdout).to.include('core: applied').and.include('hello: applied 1 migration').and.include('Demo data added.')
      expect(run.stdout).to.include('Admin: admin@medianest.example')
      password = /^Password: (\S+)$/m.exec(run.stdout)![1]
      expect(password).to.match(/^[a-z2-9]{5}(-[a-z2-9]{5}){4}$/)
      expect(run.stdout).to.match(/plugins\s+hello, notifications, overseerr, youtube \(their seeds\/demo\.ts ran\)/)

      afterSeed = await install.counts()
      expect(afterSeed).to.deep.equal({ users: 6, admins: 1, sessions: 9, services: 4, errorLogs: 8, greetings: 3 })

      await install.withDb(async (db) => {
        const admin = await db.knex<UserRow>('users').where({ email: 'admin@medianest.example' }).first()
        expect(admin).to.include({ role: 'ADMIN', status: 'active', requires_password_change: false, name: 'Sam Rivera' })
        expect(await verifyPassword(admin!.password_hash!, password)).to.equal(true)
        expect(await db.knex('users').where({ status: 'suspended' }).pluck('email')).to.deep.equal(['ana.sousa@medianest.example'])

        const sessions = await db.knex('sessions').select('user_id', 'user_agent', 'ip', 'last_used_at', 'expires')
        expect(new Set(sessions.map((s) => s.user_agent)).size).to.be.at.least(6)
        expect(new Set(sessions.map((s) => s.user_id)).size).to.equal(5)
        expect(sessions.filter((s) => s.user_id === admin!.id)).to.have.length(3)
        expect(sessions.every((s) => s.ip && s.expires > new Date())).to.equal(true)
        const lastUsed = sessions.map((s) => (s.last_used_at as Date).getTime())
        expect(Math.max(...lastUsed) - Math.min(...lastUsed)).to.be.greaterThan(86_400_000)

        // Sealed with this install's key, the row's name as associated data: as the admin form does.
        const secrets = createSecrets(loadKeyRing({ dataDir: path.join(install.dir, 'data') }))
        const services = await db.knex<ServiceConfigRow>('service_configs').orderBy('service_name')
        expect(services.map((s) => s.service_name)).to.deep.equal(['overseerr', 'plex', 'radarr', 'tautulli'])
        for (const s of services) {
          expect(s.api_key).to.match(/^v1:/)
          expect(secrets.decrypt(s.api_key!, apiKeyAad(s.service_name))).to.match(/^[0-9a-f]{32}$/)
          expect(s.updated_by).to.equal(admin!.id)
        }

        const errors = await db.knex('error_logs').select('correlation_id', 'user_id', 'status_code', 'metadata')
        expect(errors.every((e) => UUID.test(e.correlation_id) && e.metadata.demo === true)).to.equal(true)
        expect(new Set(errors.map((e) => e.correlation_id)).size).to.equal(8)
        expect(errors.filter((e) => e.user_id).length).to.be.at.least(5)
        expect(new Set(errors.map((e) => e.status_code))).to.include(500).and.include(502).and.include(422)
      })
    })

    it('refuses a database that already has users: exit 1, says why and what to do, changes nothing', async () => {
      const run = await install.cli(['seed', 'demo'])
      expect(run.code).to.equal(1)
      expect(run.stderr).to.include('already has 6 users; the demo is for a fresh install. Nothing was changed.')
      expect(run.stderr).to.include('medianest seed demo --force')
      expect(run.stderr).not.to.match(/\n\s+at /)
      expect(run.stdout).not.to.include('Password:')
      expect(await install.counts()).to.deep.equal(afterSeed)
      await install.withDb(async (db) => {
        const admin = await db.knex<UserRow>('users').where({ email: 'admin@medianest.example' }).first()
        expect(await verifyPassword(admin!.password_hash!, password)).to.equal(true)
      })
    })

    it('with --force, run again, adds nothing twice and fails on no unique constraint', async () => {
      const run = await install.cli(['seed', 'demo', '--force'])
      expect(run.code, run.stderr).to.equal(0)
      expect(run.stdout).to.include('The database had 6 users; --force added what was missing of the demo and deleted or changed nothing.')
      expect(run.stdout).to.match(/users\s+0 added/).and.match(/services\s+0 added/).and.match(/error log\s+0 entries added/)
      expect(run.stdout).to.include('already there, left as they were: users admin@medianest.example, maya.chen@medianest.example')
      expect(run.stdout).to.include('The admin admin@medianest.example already existed: its password was not changed.')
      expect(run.stdout).not.to.include('Password:')
      expect(await install.counts()).to.deep.equal(afterSeed)
    })
  })

  it('as people get it (every plugin on by default), fills each plugin\'s pages too, and a second run adds nothing', async () => {
    const install = await newInstall()
    try {
      const run = await install.cli(['seed', 'demo'])
      expect(run.code, run.stderr).to.equal(0)
      expect(run.stdout).to.match(/plugins\s+.*notifications.*overseerr.*youtube/)
      const rows = () => install.withDb(async (db) => {
        const n = async (table: string, where: Record<string, unknown> = {}) => toCount((await db.knex(table).where(where).first(db.knex.raw('count(*)::int as n')))?.n)
        return {
          inbox: await n('notifications'), unread: await n('notifications', { read: false }),
          requests: await n('media_requests'), pending: await n('media_requests', { status: 'pending' }), timeline: await n('media_request_timeline'),
          downloads: await n('youtube_downloads'), failed: await n('youtube_downloads', { status: 'failed' }), queued: await n('youtube_downloads', { status: 'queued' }),
        }
      })
      const first = await rows()
      expect(first).to.deep.equal({ inbox: 24, unread: 12, requests: 4, pending: 1, timeline: 9, downloads: 3, failed: 1, queued: 0 })
      expect((await install.cli(['seed', 'demo', '--force'])).code).to.equal(0)
      expect(await rows()).to.deep.equal(first)
    } finally {
      await install.remove()
    }
  })

  it('with --force on a real install, adds the demo next to its people and services and deletes or changes none of them', async () => {
    const install = await newInstall()
    try {
      expect((await install.cli(['migrate', 'up'])).code).to.equal(0)
      const created = await install.cli(['create-admin', '--email', 'owner@example.com', '--password', 'a perfectly long passphrase'])
      expect(created.code, created.stderr).to.equal(0)
      const before = await install.withDb(async (db) => {
        await db.knex('service_configs').insert({ service_name: 'plex', service_url: 'http://10.0.0.5:32400', enabled: true })
        return db.knex<UserRow>('users').where({ email: 'owner@example.com' }).first()
      })

      // The owner's own address as the demo admin: found, and left exactly as it was.
      const run = await install.cli(['seed', 'demo', '--force', '--admin-email', 'owner@example.com', '--admin-password', 'another long passphrase here'])
      expect(run.code, run.stderr).to.equal(0)
      expect(run.stdout).to.include('The database had 1 user; --force added what was missing of the demo and deleted or changed nothing.')
      expect(run.stdout).to.include('services plex').and.include('The admin owner@example.com already existed: its password was not changed.')

      expect(await install.counts()).to.deep.equal({ users: 6, admins: 1, sessions: 6, services: 4, errorLogs: 8, greetings: -1 })
      await install.withDb(async (db) => {
        const owner = await db.knex<UserRow>('users').where({ email: 'owner@example.com' }).first()
        expect(owner).to.deep.equal(before)
        expect(await db.knex('sessions').where({ user_id: owner!.id }).first()).to.equal(undefined)
        expect(await db.knex('service_configs').where({ service_name: 'plex' }).first()).to.include({ service_url: 'http://10.0.0.5:32400', api_key: null })
        expect(await db.knex('service_configs').whereNot({ service_name: 'plex' }).pluck('updated_by')).to.deep.equal([owner!.id, owner!.id, owner!.id])
      })
    } finally {
      await install.remove()
    }
  })

  it('runs plugin seeds in dependency order, in one transaction with the core\'s: a failing one leaves no demo row behind', async () => {
    const pluginDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-seed-plugin-'))
    fs.mkdirSync(path.join(pluginDir, 'seeds'))
    fs.writeFileSync(path.join(pluginDir, 'index.ts'), `import { definePlugin } from '${API}'
export default definePlugin({ name: 'after-hello', version: '1.0.0', api: '^1.0.0', dependsOn: ['hello'], seeds: new URL('./seeds', import.meta.url), register: () => ({}) })
`)
    // Reads hello's table only to prove hello's seed ran first (a real plugin would use hello's api.ts).
    fs.writeFileSync(path.join(pluginDir, 'seeds', 'demo.ts'), `export async function seed(ctx: any) {
  const { n } = await ctx.db('hello_greetings').first(ctx.db.raw('count(*)::int as n'))
  throw new Error(\`hello had \${n} greetings and \${ctx.users.length} users were given\`)
}
`)
    const install = await newInstall({ plugins: { 'after-hello': { enabled: true, source: pluginDir }, hello: { enabled: true } } })
    try {
      const run = await install.cli(['seed', 'demo'])
      expect(run.code).to.equal(1)
      expect(run.stderr).to.include('plugin "after-hello": its demo seed failed: hello had 3 greetings and 6 users were given. Nothing was added.')
      expect(run.stderr).not.to.match(/\n\s+at /)
      expect(await install.counts()).to.deep.equal({ users: 0, admins: 0, sessions: 0, services: 0, errorLogs: 0, greetings: 0 })
    } finally {
      await install.remove()
      fs.rmSync(pluginDir, { recursive: true, force: true })
    }
  })

  it('refuses a wrong seed name, a missing one and a weak admin password before opening anything', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-seed-usage-'))
    // A DATABASE_URL nobody answers on: none of these may try it.
    const env = { DATA_DIR: path.join(dir, 'data'), DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' }
    try {
      const [none, bench, weak] = await Promise.all([
        runCli(['seed'], { cwd: dir, env }),
        runCli(['seed', 'bench'], { cwd: dir, env }),
        runCli(['seed', 'demo', '--admin-password', 'short'], { cwd: dir, env }),
      ])
      expect(none.code).to.equal(2)
      expect(none.stderr).to.include('seed: say which data to add: demo')
      expect(bench.code).to.equal(2)
      expect(bench.stderr).to.include('seed: unknown seed "bench" (the one there is: demo)')
      expect(weak.code).to.equal(1)
      expect(weak.stderr).to.include('that password is not accepted for an admin')
      expect(fs.existsSync(path.join(dir, 'data'))).to.equal(false)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('the host refuses a plugin whose seeds folder does not exist, with the other problems', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-seed-missing-'))
    fs.writeFileSync(path.join(dir, 'index.ts'), `import { definePlugin } from '${API}'
export default definePlugin({ name: 'seedless', version: '1.0.0', api: '^1.0.0', seeds: new URL('./seeds', import.meta.url), register: () => ({}) })
`)
    try {
      const config = loadConfig({ env: {}, overrides: { plugins: { seedless: { source: dir } } }, cwd: os.tmpdir() })
      const problems = await PluginHost.prepare(config, log).then(() => [], (error) => (error as PluginConfigError).problems)
      expect(problems).to.deep.equal([`plugin "seedless": its seeds folder ${path.join(dir, 'seeds')} does not exist`])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
