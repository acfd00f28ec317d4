import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { openDatabase, type Database } from '../../core/db.ts'
import { CORE_MIGRATIONS_DIR, migrateLatest, migrationStatus, migrateDown, trackingTable } from '../../core/migrations.ts'
import { createLogger } from '../../core/log.ts'
import { freshDatabase, onPostgres, type TestDatabase } from '../support/test-db.ts'

const log = createLogger('error')
const core = { owner: 'core', dir: CORE_MIGRATIONS_DIR }
const hello = { owner: 'hello', dir: fileURLToPath(new URL('../../plugins/hello/migrations', import.meta.url)) }
const clash = { owner: 'same-file-name', dir: fileURLToPath(new URL('../fixtures/migrations/same-file-name', import.meta.url)) }

async function tables(db: Database): Promise<string[]> {
  const rows = await db.knex('information_schema.tables').where({ table_schema: 'public' }).orderBy('table_name').pluck('table_name')
  return rows as string[]
}

async function indexes(db: Database, table: string): Promise<string[]> {
  const rows = await db.knex('pg_indexes').where({ schemaname: 'public', tablename: table }).pluck('indexdef')
  return (rows as string[]).map((d) => d.replace(/^.* USING btree /, '').replace(/ WHERE .*$/, ''))
}

describe('migrations', function () {
  let test: TestDatabase
  let db: Database

  beforeEach(async () => {
    test = await freshDatabase()
    db = await openDatabase({ databaseUrl: test.databaseUrl, pglite: test.pglite, dataDir: '/nonexistent', log })
  })
  afterEach(async () => {
    await db.close()
    await test.drop()
  })

  it('creates the core tables with every index the brief lists', async () => {
    await migrateLatest(db, [core])
    const all = await tables(db)
    for (const t of ['users', 'accounts', 'sessions', 'session_tokens', 'verification_tokens', 'rate_limits', 'error_logs', 'service_configs']) {
      expect(all).to.include(t)
    }
    expect(await indexes(db, 'users')).to.include.members(['(email)', '(plex_id)'])
    expect(await indexes(db, 'sessions')).to.include('(user_id, expires)')
    expect(await indexes(db, 'rate_limits')).to.include('(user_id, endpoint)')
    expect(await indexes(db, 'error_logs')).to.include.members(['(correlation_id)', '(created_at)'])
    expect(await indexes(db, 'session_tokens')).to.include('(user_id, expires_at)')
  })

  it('a second run is a no-op', async () => {
    const first = await migrateLatest(db, [core, hello])
    expect(first.map((r) => r.applied.length > 0)).to.deep.equal([true, true])
    const second = await migrateLatest(db, [core, hello])
    expect(second.map((r) => r.applied)).to.deep.equal([[], []])
  })

  it('keeps each plugin in its own tracking table, so equal file names do not collide', async () => {
    await migrateLatest(db, [core, hello, clash])
    expect(await tables(db)).to.include.members([trackingTable('hello'), trackingTable('same-file-name'), 'same_file_name_things'])
    expect((await migrationStatus(db, hello)).done).to.deep.equal(['202611250001_create_hello_greetings.ts'])
    expect((await migrationStatus(db, clash)).done).to.deep.equal(['202611250001_create_hello_greetings.ts'])
    // Rolling one plugin back leaves the other's history and tables alone.
    await migrateDown(db, clash, true)
    expect(await tables(db)).to.include('hello_greetings').and.not.include('same_file_name_things')
    expect((await migrationStatus(db, hello)).pending).to.deep.equal([])
  })

  it('two processes migrating at once both come up (PostgreSQL)', async function () {
    if (!onPostgres) this.skip()
    const script = fileURLToPath(new URL('./fixtures/migrate-once.ts', import.meta.url))
    const runOne = () => new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, DATABASE_URL: test.databaseUrl } })
      let out = ''
      child.stdout.on('data', (d) => { out += d })
      child.stderr.on('data', (d) => { out += d })
      child.on('exit', (code) => resolve({ code, out }))
    })
    const results = await Promise.all([runOne(), runOne()])
    expect(results.map((r) => r.code), results.map((r) => r.out).join('\n')).to.deep.equal([0, 0])
    const applied = results.map((r) => JSON.parse(r.out.trim().split('\n').pop()!) as number)
    // Exactly one of them applied the migrations; the other found nothing to do.
    expect(applied.sort((a, b) => a - b)[0]).to.equal(0)
    expect(applied.sort((a, b) => a - b)[1]).to.be.greaterThan(0)
    const status = await migrationStatus(db, core)
    expect(status.pending).to.deep.equal([])
  })
})
