import { Writable } from 'node:stream'
import { expect } from 'chai'
import winston from 'winston'
import { openDatabase, type Database } from '../../core/db.ts'
import { Scheduler } from '../../core/jobs/schedules.ts'
import { createLogger } from '../../core/log.ts'
import { CORE_MIGRATIONS_DIR } from '../../core/migrations.ts'
import type { ScheduleDefinition } from '../../core/plugin-api.ts'
import { freshDatabase, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { sleep, waitFor } from '../support/wait-for.ts'

const log = createLogger('debug')
log.silent = !process.env.TEST_LOG


/** A logger whose lines the test can read. */
function recordingLogger(): { logger: winston.Logger; lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  return { lines, logger: winston.createLogger({ level: 'debug', format: winston.format.simple(), transports: [new winston.transports.Stream({ stream })] }) }
}

function schedule(def: Partial<ScheduleDefinition> & Pick<ScheduleDefinition, 'run'>): ScheduleDefinition {
  return { id: 'tick', every: '100ms', timeout: '10s', scope: 'instance', ...def }
}

describe('schedules: recurring work', function () {
  let t: TestDatabase
  let db: Database
  const extraDbs: Database[] = []
  const schedulers: Scheduler[] = []

  function newScheduler(on: Database = db, workerId = `test-${schedulers.length}`): Scheduler {
    const scheduler = new Scheduler({ db: on, log, workerId, tickMs: 20 })
    schedulers.push(scheduler)
    return scheduler
  }

  beforeEach(async function () {
    t = await freshDatabase({ migrated: [{ owner: 'core', dir: CORE_MIGRATIONS_DIR }] })
    db = await openDatabase({ databaseUrl: t.databaseUrl, pglite: t.pglite, dataDir: '/tmp/medianest-test', log })
  })

  afterEach(async function () {
    for (const s of schedulers.splice(0)) await s.stop(1000)
    for (const d of extraDbs.splice(0)) await d.close()
    await db.close()
    await t.drop()
  })

  it('runs an instance schedule at start, then every interval', async function () {
    const scheduler = newScheduler()
    const runs: number[] = []
    scheduler.add('test.tick', schedule({ async run() { runs.push(performance.now()) } }), log)
    const began = performance.now()
    scheduler.start()
    await waitFor('four runs', () => runs.length >= 4)
    expect(runs[0] - began).to.be.below(50)
    // Every 100 ms: the i-th run never before i intervals have passed (timers fire late, never
    // early). Gaps between runs are not compared: on a busy machine one run may start late and
    // the next on time.
    for (let i = 1; i < runs.length; i++) expect(runs[i] - began).to.be.at.least(i * 100 - 5)
  })

  it('aborts a run through its signal at the timeout, logs it, and keeps the schedule going', async function () {
    const scheduler = newScheduler()
    const { logger, lines } = recordingLogger()
    const reasons: unknown[] = []
    scheduler.add('test.slow', schedule({
      every: '300ms',
      timeout: '100ms',
      run: ({ signal }) => new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => { reasons.push(signal.reason); reject(signal.reason) })
      }),
    }), logger)
    scheduler.start()
    await waitFor('two runs stopped at their timeout', () => reasons.length >= 2)
    expect(lines.join('')).to.include('schedule test.slow failed: the run took longer than its timeout of 100ms and was stopped')
  })

  it('logs a run that throws, without crashing, and runs again next time', async function () {
    const scheduler = newScheduler()
    const { logger, lines } = recordingLogger()
    let n = 0
    scheduler.add('test.broken', schedule({ async run() { n++; throw new Error('the upstream is down') } }), logger)
    scheduler.start()
    await waitFor('a second run after the failing one', () => n >= 2)
    await scheduler.stop(1000)
    expect(lines.filter((l) => l.includes('schedule test.broken failed: the upstream is down'))).to.have.length(n)
  })

  it('does not start a run while the previous one is still going', async function () {
    const scheduler = newScheduler()
    let now = 0
    let peak = 0
    let runs = 0
    let skipped = 0
    const { logger, lines } = recordingLogger()
    scheduler.add('test.overlap', schedule({
      every: '30ms',
      async run() {
        runs++
        peak = Math.max(peak, ++now)
        await sleep(100)
        now--
      },
    }), logger)
    scheduler.start()
    // Each run takes 100 ms of a 30 ms interval: the ticks that find it going are skipped.
    await waitFor('three runs, with ticks skipped between them', () => {
      skipped = lines.filter((l) => l.includes('the previous run is still going; skipping this one')).length
      return runs >= 3 && skipped >= 2
    })
    expect(peak).to.equal(1)
  })

  it('waits for a run on stop(), then aborts it at the deadline', async function () {
    const scheduler = newScheduler()
    let signal: AbortSignal | undefined
    scheduler.add('test.stuck', schedule({
      every: '1h',
      run: (job) => new Promise((_resolve, reject) => {
        signal = job.signal
        job.signal.addEventListener('abort', () => reject(job.signal.reason))
      }),
    }), log)
    scheduler.start()
    await sleep(20)
    const began = Date.now()
    await scheduler.stop(100)
    expect(Date.now() - began).to.be.within(90, 1000)
    expect(signal!.aborted).to.equal(true)
  })

  it('runs a cluster schedule once per interval across two schedulers, never twice', async function () {
    this.timeout(10_000)
    // On PostgreSQL each scheduler has its own database handle, as two processes would.
    let other = db
    if (onPostgres) {
      other = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: '/tmp/medianest-test', log })
      extraDbs.push(other)
    }
    const runs: Array<{ by: string; at: number }> = []
    let now = 0
    let peak = 0
    for (const [name, handle] of [['a', db], ['b', other]] as const) {
      newScheduler(handle, name).add('test.cleanup', schedule({
        scope: 'cluster',
        every: '300ms',
        async run() {
          runs.push({ by: name, at: performance.now() })
          peak = Math.max(peak, ++now)
          await sleep(50)
          now--
        },
      }), log)
    }
    for (const s of schedulers) s.start()
    await waitFor('five runs', () => runs.length >= 5)
    for (const s of schedulers) await s.stop(1000)

    expect(peak).to.equal(1)
    // Claims are 300 ms apart; a handler starts up to a tick (20 ms) and a busy machine's
    // delay after its claim. A second run in one interval would start within a tick or two.
    for (let i = 1; i < runs.length; i++) expect(runs[i].at - runs[i - 1].at).to.be.at.least(150)
    const row = await db.knex('schedule_runs').where({ id: 'test.cleanup' }).first()
    expect(row.lease_owner).to.equal(null)
    expect(row.last_run_at).to.be.instanceOf(Date)
  })

  it('keeps a cluster run that outlasts its lease by renewing it: no second process starts it meanwhile', async function () {
    let other = db
    if (onPostgres) {
      other = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: '/tmp/medianest-test', log })
      extraDbs.push(other)
    }
    let running = 0
    let peak = 0
    let runs = 0
    for (const [name, handle] of [['a', db], ['b', other]] as const) {
      // A lease of 450 ms, renewed every 150 ms: a renewal a busy machine delays by 100 ms
      // must not count as a dead process (with 150 ms leases it did, in one CI run).
      const scheduler = new Scheduler({ db: handle, log, workerId: name, tickMs: 20, leaseMs: () => 450 })
      schedulers.push(scheduler)
      scheduler.add('test.long', schedule({
        scope: 'cluster',
        every: '100ms',
        // Over four leases long, and a new interval due all along.
        async run() { runs++; peak = Math.max(peak, ++running); for (let i = 0; i < 10; i++) await sleep(200); running-- },
      }), log)
    }
    for (const s of schedulers) s.start()
    await waitFor('two runs, one after the other', () => runs >= 2, 10_000)
    expect(peak).to.equal(1)
  })

  it('frees the schedule of a process that died mid-run once its short lease lapses', async function () {
    // "dead" claimed it and stopped renewing (kill -9): the lease ran out, the run was due long ago.
    await db.knex('schedule_runs').insert({ id: 'test.orphaned', next_run_at: db.knex.raw(`now() - interval '1 minute'`), lease_owner: 'dead', lease_expires_at: db.knex.raw(`now() + interval '150 milliseconds'`) })
    let runs = 0
    const survivor = new Scheduler({ db, log, workerId: 'survivor', tickMs: 20, leaseMs: () => 150 })
    schedulers.push(survivor)
    survivor.add('test.orphaned', schedule({ scope: 'cluster', every: '1h', async run() { runs++ } }), log)
    survivor.start()
    await sleep(50)
    expect(runs, 'not while the dead lease still holds').to.equal(0)
    await waitFor('the survivor to run it', () => runs === 1, 2000)
  })

  it('remembers a cluster schedule\'s next run across restarts', async function () {
    let runs = 0
    const def = schedule({ scope: 'cluster', every: '1h', async run() { runs++ } })
    const first = newScheduler(db, 'first')
    first.add('test.daily', def, log)
    first.start()
    await waitFor('the first run', () => runs === 1)
    await first.stop(1000)

    const restarted = newScheduler(db, 'restarted')
    restarted.add('test.daily', def, log)
    restarted.start()
    // Ten ticks of the restarted scheduler (20 ms each), each of which could have run it.
    await sleep(200)
    expect(runs).to.equal(1)
    const { wait } = await db.knex('schedule_runs').where({ id: 'test.daily' })
      .first(db.knex.raw('extract(epoch from next_run_at - now())::float as wait'))
    expect(wait).to.be.within(3500, 3600)
  })

  it('makes a cluster run interrupted by shutdown due again at once', async function () {
    const scheduler = newScheduler(db, 'leaving')
    let started = false
    scheduler.add('test.sync', schedule({
      scope: 'cluster',
      every: '1h',
      run: ({ signal }) => {
        started = true
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
      },
    }), log)
    scheduler.start()
    await waitFor('the run to start', () => started)
    await scheduler.stop(50)
    const row = await db.knex('schedule_runs').where({ id: 'test.sync' })
      .first('lease_owner', db.knex.raw('next_run_at <= now() as due'))
    expect(row).to.deep.equal({ lease_owner: null, due: true })
  })

  it('refuses a schedule with a bad duration, naming it', function () {
    const scheduler = newScheduler()
    expect(() => scheduler.add('test.bad', schedule({ every: 'often', async run() {} }), log))
      .to.throw('The schedule "test.bad" has a bad "every": "often" is not a duration (use e.g. 30s, 15m, 6h, 7d, or a number of milliseconds)')
  })
})
