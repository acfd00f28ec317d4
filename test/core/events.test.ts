import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { openDatabase, type Database } from '../../core/db.ts'
import { EventBus, EVENT_DELIVERY_JOB } from '../../core/events.ts'
import { JobQueue } from '../../core/jobs/queue.ts'
import { createLogger } from '../../core/log.ts'
import { CORE_MIGRATIONS_DIR } from '../../core/migrations.ts'
import { freshDatabase, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { sleep, waitFor } from '../support/wait-for.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const WORKER = fileURLToPath(new URL('./fixtures/event-worker.ts', import.meta.url))
const log = createLogger('debug')
log.silent = !process.env.TEST_LOG



describe('events: the durable event bus', function () {
  let t: TestDatabase
  let db: Database
  let queue: JobQueue
  let bus: EventBus

  const deliveries = async () => db.knex('jobs').where({ name: EVENT_DELIVERY_JOB }).orderBy('created_at')

  beforeEach(async function () {
    t = await freshDatabase({ migrated: [{ owner: 'core', dir: CORE_MIGRATIONS_DIR }] })
    db = await openDatabase({ databaseUrl: t.databaseUrl, pglite: t.pglite, dataDir: '/tmp/medianest-test', log })
    queue = new JobQueue({ db, log, workerId: 'events-test', pollMs: 50, backoffMs: () => 50 })
    bus = new EventBus({ db, log, queue })
  })

  afterEach(async function () {
    await queue.stop(1000)
    await db.close()
    await t.drop()
  })

  it('delivers the payload and when it was emitted to a subscriber', async function () {
    const got: Array<{ payload: unknown; event: string; emittedAt: Date }> = []
    bus.on('youtube.download.completed', 'notifications', (payload, meta) => { got.push({ payload, ...meta }) }, log)
    bus.install()
    queue.start()
    const before = Date.now()
    await bus.emit('youtube.download.completed', { downloadId: 'd-1', title: 'Talk', files: ['a.mp4'] })
    await waitFor('the handler to run', () => got.length === 1)
    expect(got[0].payload).to.deep.equal({ downloadId: 'd-1', title: 'Talk', files: ['a.mp4'] })
    expect(got[0].event).to.equal('youtube.download.completed')
    expect(got[0].emittedAt.getTime()).to.be.within(before - 5, Date.now())
  })

  it('writes one delivery job per subscriber, and each handler runs once', async function () {
    const calls: string[] = []
    bus.on('overseerr.request.completed', 'notifications', () => { calls.push('notifications') }, log)
    bus.on('overseerr.request.completed', 'monitor', () => { calls.push('monitor') }, log)
    bus.on('overseerr.request.failed', 'monitor', () => { calls.push('wrong event') }, log)
    bus.install()
    await bus.emit('overseerr.request.completed', { requestId: 'r-1' })
    const rows = await deliveries()
    expect(rows.map((r) => r.payload.owner).sort()).to.deep.equal(['monitor', 'notifications'])
    expect(rows[0].payload).to.include({ event: 'overseerr.request.completed' })
    expect(rows[0].payload.payload).to.deep.equal({ requestId: 'r-1' })

    queue.start()
    await waitFor('both deliveries to succeed', async () => (await queue.stats()).succeeded === 2)
    await sleep(100)
    expect(calls.sort()).to.deep.equal(['monitor', 'notifications'])
  })

  it('gives each emit one id, the same for every subscriber and on a retry, and another for the next emit of the same payload', async function () {
    const ids: Record<string, string[]> = { a: [], b: [] }
    let failOnce = true
    bus.on('overseerr.request.completed', 'a', (_p, meta) => { ids.a.push(meta.id) }, log)
    bus.on('overseerr.*', 'b', (_p, meta) => {
      ids.b.push(meta.id)
      if (failOnce) { failOnce = false; throw new Error('once') }
    }, log)
    bus.install()
    queue.start()
    await bus.emit('overseerr.request.completed', { requestId: 'r-9' })
    await bus.emit('overseerr.request.completed', { requestId: 'r-9' })
    await waitFor('every delivery, the retry included', () => ids.a.length === 2 && ids.b.length === 3)
    expect(ids.a[0]).to.match(/^[0-9a-f-]{36}$/)
    expect(ids.a[0]).to.not.equal(ids.a[1])
    expect(new Set(ids.b)).to.deep.equal(new Set(ids.a))
    // The delivery that threw ran again with the id it had the first time.
    expect(ids.b.filter((id) => id === ids.b[0]), 'the retry carries the same id').to.have.length(2)
  })

  it('retries a handler that throws, through the queue', async function () {
    let tries = 0
    bus.on('monitor.incident.opened', 'notifications', () => {
      tries++
      if (tries === 1) throw new Error('the mail server is down')
    }, log)
    bus.install()
    queue.start()
    await bus.emit('monitor.incident.opened', { service: 'plex' })
    const [row] = await waitFor('the delivery to succeed on its second attempt', async () => {
      const rows = await deliveries()
      return rows[0]?.status === 'succeeded' && rows
    })
    expect(tries).to.equal(2)
    expect(row.attempts).to.equal(2)
    expect(row.last_error).to.equal('attempt 1 of 5 failed: the mail server is down')
  })

  it('writes nothing when no handler subscribes', async function () {
    bus.on('monitor.incident.opened', 'notifications', () => {}, log)
    bus.install()
    await bus.emit('monitor.incident.closed', { service: 'plex' })
    expect(await db.knex('jobs').count({ n: '*' })).to.deep.equal([{ n: '0' }])
  })

  it('refuses a payload that is not plain JSON, saying where and why', async function () {
    bus.on('youtube.download.failed', 'notifications', () => {}, log)
    bus.install()
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ at: new Date() }, 'payload.at is a Date (send date.toISOString())'],
      [{ size: 10n }, 'payload.size is a bigint'],
      [{ n: Number.NaN }, 'payload.n is NaN'],
      [{ list: [1, undefined] }, 'payload.list[1] is undefined'],
      [cyclic, 'payload.self refers back to itself'],
      [{ tags: new Set(['a']) }, 'payload.tags is a Set'],
    ]
    for (const [payload, message] of cases) {
      let error: Error | undefined
      try { await bus.emit('youtube.download.failed', payload) } catch (e) { error = e as Error }
      expect(error, message).to.be.instanceOf(TypeError)
      expect(error!.message).to.include(`cannot be sent: ${message}`)
    }
    // Shared (not cyclic) references and undefined properties are fine.
    const shared = { id: 1 }
    await bus.emit('youtube.download.failed', { a: shared, b: shared, note: undefined })
    expect(await deliveries()).to.have.length(1)
  })

  it('refuses event names that are not <plugin>.<noun>.<past-verb>', async function () {
    expect(() => bus.on('downloadDone', 'youtube', () => {}, log)).to.throw(/is not an event name/)
    let error: Error | undefined
    try { await bus.emit('youtube.done', {}) } catch (e) { error = e as Error }
    expect(error?.message).to.equal(`"youtube.done" is not an event name: use '<plugin>.<noun>.<past-verb>' in lower case, e.g. 'my-plugin.download.completed'.`)
  })

  it('drops a delivery whose subscriber no longer exists, without failing', async function () {
    bus.on('youtube.download.completed', 'old-plugin', () => {}, log)
    await bus.emit('youtube.download.completed', { downloadId: 'd-2' })

    // A restart without that plugin: a new bus over the same queue table.
    const restarted = new JobQueue({ db, log, workerId: 'restarted', pollMs: 50 })
    new EventBus({ db, log, queue: restarted }).install()
    restarted.start()
    try {
      await waitFor('the delivery to be settled', async () => (await deliveries())[0].status === 'succeeded')
    } finally {
      await restarted.stop(1000)
    }
  })

  it('delivers an event emitted in one process to a handler in another, exactly once (PostgreSQL)', async function () {
    if (!onPostgres) this.skip() // two processes need a database server; PGlite serves one process
    this.timeout(30_000)
    await db.knex.schema.createTable('event_runs', (table) => {
      table.integer('pid').notNullable()
      table.jsonb('payload').notNullable()
    })
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: t.databaseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk) => { if (String(chunk).includes('ready')) resolve() })
        child.on('exit', () => reject(new Error('the event worker exited before it was ready')))
      })
      // This process subscribes the same handler, as every process loads the same plugins,
      // but never starts its queue: only the other process can deliver.
      bus.on('test.thing.happened', 'listener', () => { throw new Error('delivered in the wrong process') }, log)
      bus.install()
      await bus.emit('test.thing.happened', { n: 42 })

      const runs = await waitFor('the other process to handle it', async () => {
        const rows = await db.knex('event_runs').select()
        return rows.length > 0 && rows
      })
      await waitFor('the delivery to succeed', async () => (await deliveries())[0]?.status === 'succeeded')
      await sleep(250) // time for a second, wrong delivery to show
      expect(await db.knex('event_runs').select()).to.deep.equal(runs)
      expect(runs).to.deep.equal([{ pid: child.pid, payload: { n: 42 } }])
    } finally {
      child.kill('SIGTERM')
      expect(await exited).to.equal(0)
    }
  })
})
