import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { openDatabase, type Database } from '../../core/db.ts'
import { createLogger } from '../../core/log.ts'
import { hashPassword, verifyPassword } from '../../core/auth/passwords.ts'
import type { UserRow } from '../../core/auth/users.ts'
import { freshDatabase, initializedDataDir, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { runCli, runCliProcess, type CliRun, type CliRunOptions } from '../support/cli-run.ts'

const log = createLogger('error')
log.silent = true

type Run = CliRun

describe('medianest CLI: migrate, plugins, create-admin', function () {
  // Commands run in this process (support/cli-run.ts); the last test spawns the real one.
  this.timeout(120_000)

  let dir: string
  let database: TestDatabase | undefined
  let helloConfig: string

  const cliOptions = (options: { env?: Record<string, string>; stdin?: string }): CliRunOptions => ({
    cwd: dir, stdin: options.stdin,
    env: { DATA_DIR: path.join(dir, 'data'), ...(database?.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}), ...options.env },
  })
  /** Runs `medianest …` against this test's database, never the developer's settings. */
  const cli = (args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<Run> => runCli(args, cliOptions(options))

  /** A direct connection, opened only while no child holds the embedded database. */
  const withDb = async <T>(work: (db: Database) => Promise<T>): Promise<T> => {
    const db = await openDatabase({ databaseUrl: database?.databaseUrl, dataDir: path.join(dir, 'data'), log })
    try {
      return await work(db)
    } finally {
      await db.close()
    }
  }

  const userByEmail = (email: string) => withDb((db) => db.knex<UserRow>('users').where({ email }).first())

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-cli-'))
    helloConfig = path.join(dir, 'hello.config.json')
    fs.writeFileSync(helloConfig, JSON.stringify({ plugins: { hello: { enabled: true, config: { greeting: 'Ahoy' } } } }))
    if (onPostgres) database = await freshDatabase()
    else await initializedDataDir(path.join(dir, 'data'))
  })

  after(async () => {
    await database?.drop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('migrate status shows the core pending on a new database, migrate up applies it, and status then shows it done', async () => {
    // All three run before any assertion: the later tests need the migrated database.
    const before = await cli(['migrate', 'status'])
    const up = await cli(['migrate', 'up'])
    const after = await cli(['migrate', 'status'])

    expect(before.code, before.stderr).to.equal(0)
    expect(before.stdout).to.match(/core \(knex_migrations\): 0 done, \d+ pending/)
    expect(before.stdout).to.match(/pending\s+202611250001_create_users/)
    expect(before.stdout).not.to.include('hello')

    expect(up.code, up.stderr).to.equal(0)
    expect(up.stdout).to.match(/core: applied \d+ migrations/).and.include('202611250001_create_users')

    expect(after.code, after.stderr).to.equal(0)
    expect(after.stdout).to.match(/core \(knex_migrations\): \d+ done, 0 pending/)
    expect(after.stdout).to.match(/done\s+202611250001_create_users/)
  })

  it('plugins lists hello as disabled by default and enabled, with its settings, when the config enables it; no database needed', async () => {
    const [plain, enabled] = await Promise.all([
      // A DATABASE_URL nobody answers on: listing plugins must not try it.
      cli(['plugins'], { env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' } }),
      cli(['plugins', '--json'], { env: { MEDIANEST_CONFIG: helloConfig } }),
    ])
    expect(plain.code, plain.stderr).to.equal(0)
    expect(plain.stdout).to.match(/^hello 1\.0\.0 {2}disabled, first-party$/m)
    expect(plain.stdout).to.match(/tables\s+hello_greetings/)
    // The first-party plugins that are on by default load; hello (off by default) does not.
    expect(plain.stdout).to.match(/^Load order: .*plex-auth/m)
    expect(/^Load order: .*$/m.exec(plain.stdout)![0]).to.not.include('hello')

    expect(enabled.code, enabled.stderr).to.equal(0)
    const listing = JSON.parse(enabled.stdout) as { plugins: Array<Record<string, unknown>>; problems: string[] }
    const hello = listing.plugins.find((p) => p.name === 'hello')
    expect(hello).to.include({ enabled: true, origin: 'first-party', version: '1.0.0', api: '^1.13.0', apiCompatible: true, onStartFailure: 'abort', loadPosition: 1 })
    expect(hello?.tables).to.deep.equal(['hello_greetings'])
    expect(hello?.dependsOn).to.deep.equal([])
    expect(hello?.config).to.deep.equal({ greeting: 'Ahoy', greetingsPerHour: 30 })
    expect(hello?.settings).to.deep.equal({ greeting: 'Hello', greetingsPerHour: 30 })
    expect(listing.problems).to.deep.equal([])
  })

  it('plugins redacts secret settings, and lists each plugin\'s webhooks, event types and health checks', async () => {
    const tourConfig = path.join(dir, 'tour.config.json')
    const secret = 'cli-SECRET-signing-5521'
    const source = fileURLToPath(new URL('../fixtures/plugins/api-tour', import.meta.url))
    fs.writeFileSync(tourConfig, JSON.stringify({ plugins: { 'api-tour': { enabled: true, source, config: { signingSecret: secret, upstream: { token: 'cli-SECRET-token-9' } } } } }))
    const env = { MEDIANEST_CONFIG: tourConfig }
    const [text, json] = await Promise.all([cli(['plugins'], { env }), cli(['plugins', '--json'], { env })])
    for (const run of [text, json]) {
      expect(run.code, run.stderr).to.equal(0)
      expect(run.stdout + run.stderr).to.not.contain(secret).and.not.contain('cli-SECRET-token-9')
    }
    expect(text.stdout).to.include('"signingSecret":"••••••"')
      .and.match(/webhooks\s+overseerr: POST \/api-tour\/hooks\/overseerr \(shared-secret\); signed: POST \/api-tour\/hooks\/signed\/v1 \(hmac-sha256\)/)
      .and.match(/event types\s+api-tour\.thing\.happened \(audience: subject\)/)
      .and.match(/health checks\s+api-tour-svc; api-tour-hooks/)
    const tour = (JSON.parse(json.stdout) as { plugins: Array<Record<string, any>> }).plugins.find((p) => p.name === 'api-tour')!
    expect(tour.config).to.deep.equal({ signingSecret: '••••••', upstream: { token: '••••••', region: 'eu' } })
    expect(tour.contributes.map((c: { kind: string }) => c.kind)).to.include.members(['Webhooks', 'Event types', 'Health checks'])
  })

  it('migrate up hello applies its migration, and migrate down hello rolls it back without touching the core', async () => {
    const env = { MEDIANEST_CONFIG: helloConfig }
    const up = await cli(['migrate', 'up', 'hello'], { env })
    expect(up.code, up.stderr).to.equal(0)
    expect(up.stdout).to.include('hello: applied 1 migration').and.include('202611250001_create_hello_greetings')

    const down = await cli(['migrate', 'down', 'hello'], { env })
    expect(down.code, down.stderr).to.equal(0)
    expect(down.stdout).to.include('hello: rolled back 1 migration').and.include('202611250001_create_hello_greetings')

    await withDb(async (db) => {
      expect(await db.knex.schema.hasTable('hello_greetings')).to.equal(false)
      const [{ count }] = await db.knex('knex_migrations__hello').count<Array<{ count: string | number }>>({ count: '*' })
      expect(Number(count)).to.equal(0)
      expect(await db.knex.schema.hasTable('users')).to.equal(true)
    })
  })

  it('refuses migrate down without an owner, an unknown command and an unknown flag, with usage and exit 2', async () => {
    const [down, unknown, flag] = await Promise.all([
      cli(['migrate', 'down']),
      cli(['frobnicate']),
      cli(['create-admin', '--emial', 'a@b.c']),
    ])
    expect(down.code).to.equal(2)
    expect(down.stderr).to.include('migrate down: name the owner to roll back')
    expect(unknown.code).to.equal(2)
    expect(unknown.stderr).to.include('unknown command "frobnicate"').and.include('Usage: medianest <command>')
    expect(flag.code).to.equal(2)
    expect(flag.stderr).to.include("Unknown option '--emial'")
    for (const run of [down, unknown, flag]) expect(run.stderr).not.to.match(/\n\s+at /)
  })

  it('create-admin creates an active ADMIN who is not asked to change the password', async () => {
    const run = await cli(['create-admin', '--email', 'A@B.c', '--password', 'a perfectly long passphrase', '--name', 'Ada'])
    expect(run.code, run.stderr).to.equal(0)
    expect(run.stdout).to.include('Created the admin a@b.c')
    const user = await userByEmail('a@b.c')
    expect(user).to.include({ role: 'ADMIN', status: 'active', requires_password_change: false, name: 'Ada' })
    expect(await verifyPassword(user!.password_hash!, 'a perfectly long passphrase')).to.equal(true)
  })

  it('create-admin refuses a short password with the reason, exits 1 and writes nothing', async () => {
    const run = await cli(['create-admin', '--email', 'short@example.com', '--password', 'too-short'])
    expect(run.code).to.equal(1)
    expect(run.stderr).to.include('Use at least 12 characters')
    expect(run.stderr).not.to.match(/\n\s+at /)
    expect(await userByEmail('short@example.com')).to.equal(undefined)
  })

  it('create-admin refuses a guessable password or one built from the email, saying why, and writes nothing', async () => {
    const common = await cli(['create-admin', '--email', 'guess@example.com', '--password', 'Welcome12345'])
    expect(common.code).to.equal(1)
    expect(common.stderr).to.include('that password is not accepted for an admin: Too easy to guess for an admin account.')
    const personal = await cli(['create-admin', '--email', 'homeowner@example.com', '--password', 'homeowner2024!'])
    expect(personal.code).to.equal(1)
    expect(personal.stderr).to.include('Your password contains your email address')
    expect(await userByEmail('guess@example.com')).to.equal(undefined)
    expect(await userByEmail('homeowner@example.com')).to.equal(undefined)
  })

  it('create-admin reads a missing password from stdin and makes a suspended user an active admin with it', async () => {
    await withDb(async (db) => {
      await db.knex('users').insert({
        email: 'friend@example.com', role: 'USER', status: 'suspended', requires_password_change: true,
        password_hash: await hashPassword('the old password here'),
      })
    })
    const run = await cli(['create-admin', '--email', 'friend@example.com'], { stdin: 'the brand new passphrase\n' })
    expect(run.code, run.stderr).to.equal(0)
    expect(run.stdout).to.include('friend@example.com is an admin with the new password').and.include('promoted from USER')
    const user = await userByEmail('friend@example.com')
    expect(user).to.include({ role: 'ADMIN', status: 'active', requires_password_change: false })
    expect(await verifyPassword(user!.password_hash!, 'the brand new passphrase')).to.equal(true)

    const ended = await cli(['create-admin', '--email', 'nobody@example.com'], { stdin: '' })
    expect(ended.code).to.equal(1)
    expect(ended.stderr).to.include('the input ended before the password was given')
  })

  it('create-admin says so, and exits 1, while a running server holds the embedded database', async function () {
    if (onPostgres) this.skip()
    await withDb(async () => {
      // The real `medianest` in a process of its own: the lock is between processes.
      const run = await runCliProcess(['create-admin', '--email', 'locked@example.com', '--password', 'a perfectly long passphrase'], cliOptions({}))
      expect(run.code).to.equal(1)
      expect(run.stderr).to.include('Another MediaNest process').and.include('Stop the server first')
      expect(run.stderr).not.to.match(/\n\s+at /)
    })
  })
})
