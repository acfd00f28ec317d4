// Boots a whole MediaNest (the same startMediaNest as production) on a fresh test
// database and an ephemeral port, with helpers to make users and sign them in.
import os from 'node:os'
import fs from 'node:fs'
import path from 'node:path'
import { loadConfig, type Config } from '../../core/config.ts'
import { startMediaNest, type MediaNest, type StartTiming } from '../../core/server.ts'
import { createLogger } from '../../core/log.ts'
import { hashPassword } from '../../core/auth/passwords.ts'
import type { UserRow } from '../../core/auth/users.ts'
import { freshDatabase, type TestDatabase } from './test-db.ts'
import { PluginConfigError } from '../../core/plugin-api.ts'
import { FIRST_PARTY_DIR } from '../../core/plugins/discover.ts'
import { PluginHost } from '../../core/plugins/host.ts'
import { TestClient } from './http-client.ts'

export interface TestHostOptions {
  /** The `plugins` section of the config. */
  plugins?: Record<string, unknown>
  /** Any other config keys. */
  config?: Record<string, unknown>
  firstPartyDir?: string
  /** Reuse a database (a second process-like instance on the same PostgreSQL database). */
  database?: TestDatabase
  /**
   * First-party plugins that `plugins` does not name are switched off, so a test boots
   * only what it exercises (each plugin adds migrations, schedules and pages). Set this
   * to boot them as a fresh install would: each per its `enabledByDefault`.
   */
  firstPartyDefaults?: boolean
  /**
   * The folder a config file would be in: a relative `source` folder and an npm package
   * `source` are found from it (an install with plugins in its node_modules). Default: a
   * fresh temporary folder.
   */
  configDir?: string
}

export interface TestHost {
  app: MediaNest
  url: string
  config: Config
  database: TestDatabase
  db: MediaNest['db']['knex']
  client(): TestClient
  createUser(fields?: Partial<UserRow> & { password?: string }): Promise<UserRow & { password: string }>
  /** A client signed in as a new (or given) user. */
  signedIn(user?: UserRow & { password: string }): Promise<{ client: TestClient; user: UserRow & { password: string } }>
  stop(): Promise<void>
}

let counter = 0
// Argon2 at the production settings is tens of milliseconds of CPU a hash, and a run
// makes hundreds of users: one password unless a test gives its own, each hashed once.
const DEFAULT_PASSWORD = 'correct horse battery staple'
const hashes = new Map<string, Promise<string>>()
const hashOnce = (password: string): Promise<string> => {
  let hash = hashes.get(password)
  if (!hash) hashes.set(password, (hash = hashPassword(password)))
  return hash
}
/** Retries and looks for due work in tens of milliseconds, not seconds: tests wait on outcomes, not on backoff. */
const TEST_TIMING: StartTiming = { jobBackoffMs: (attempt) => 20 * attempt, jobPollMs: 100, scheduleTickMs: 100 }
// Quiet unless LOG_LEVEL asks for output: expected failures would bury the results.
const silent = createLogger(process.env.LOG_LEVEL ?? 'error', false, !process.env.LOG_LEVEL)

export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-test-'))
  const configWith = (databaseUrl: string | undefined) => loadConfig({
    env: {},
    overrides: {
      port: 0, host: '127.0.0.1', dataDir, logLevel: process.env.LOG_LEVEL ?? 'error',
      databaseUrl, secret: 'test-secret-that-is-at-least-32-characters-long',
      shutdownTimeout: '2s',
      // Every test signs in from 127.0.0.1; tests of the limits set their own.
      rateLimits: { login: { limit: 10_000, window: '15m' }, authenticated: { limit: 100_000, window: '1m' } },
      plugins: pluginsFor(options),
      ...options.config,
    },
    cwd: options.configDir ?? dataDir,
  })
  let database: TestDatabase
  let config: Config
  try {
    if (options.database) {
      database = options.database
    } else {
      // The plugins the boot will find, so the database comes with their migrations done.
      const host = await PluginHost.prepare(configWith(undefined), silent, { firstPartyDir: options.firstPartyDir })
      database = await freshDatabase({ migrated: host.migrationSets() })
    }
    config = configWith(database.databaseUrl)
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  let app: MediaNest
  try {
    app = await startMediaNest({ config, log: silent, pglite: database.pglite, firstPartyDir: options.firstPartyDir, timing: TEST_TIMING })
  } catch (error) {
    // A boot that fails (on purpose, in some tests) must not leave its database behind.
    if (!options.database) await database.drop()
    fs.rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  const db = app.db.knex

  const host: TestHost = {
    app, url: app.url, config, database, db,
    client: () => new TestClient(app.url),
    async createUser(fields = {}) {
      counter += 1
      const password = fields.password ?? DEFAULT_PASSWORD
      const { password: _omit, ...columns } = fields
      const [row] = await db<UserRow>('users').insert({
        email: `user${counter}-${Date.now()}@example.com`,
        name: `User ${counter}`,
        role: 'USER',
        password_hash: await hashOnce(password),
        ...columns,
      }).returning('*')
      return { ...row, password }
    },
    async signedIn(user) {
      const u = user ?? (await host.createUser())
      const client = host.client()
      await client.get('/login')
      const res = await client.post('/login', { email: u.email, password: u.password })
      if (res.status !== 303) throw new Error(`sign-in failed for ${u.email}: ${res.status}\n${res.text.slice(0, 500)}`)
      await client.get('/')
      return { client, user: u }
    },
    async stop() {
      await app.stop()
      if (!options.database) await database.drop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return host
}

function pluginsFor(options: TestHostOptions): Record<string, unknown> {
  const named = options.plugins ?? {}
  if (options.firstPartyDefaults || options.firstPartyDir) return named
  const unnamed = fs.readdirSync(FIRST_PARTY_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !(d.name in named))
  return { ...Object.fromEntries(unnamed.map((d) => [d.name, { enabled: false }])), ...named }
}

/**
 * Boots with these plugins and expects the host to refuse them: returns the problems it
 * listed (and fails the test if it booted). `cleanup` runs either way (a temp folder).
 */
export async function bootProblems(plugins: Record<string, unknown>, cleanup: () => void = () => {}): Promise<string[]> {
  let refused: unknown
  try {
    const host = await startTestHost({ plugins })
    await host.stop()
  } catch (error) {
    refused = error
  } finally {
    cleanup()
  }
  if (!(refused instanceof PluginConfigError)) throw new Error(`expected the host to refuse these plugins, but it ${refused ? `failed otherwise: ${(refused as Error).message}` : 'booted'}`)
  return refused.problems
}
