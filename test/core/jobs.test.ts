import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { z } from 'zod'
import { openDatabase, type Database } from '../../core/db.ts'
import { JobQueue, type JobQueueOptions, type JobRow } from '../../core/jobs/queue.ts'
import { createLogger } from '../../core/log.ts'
import { CORE_MIGRATIONS_DIR, migrateLatest } from '../../core/migrations.ts'
import type { JobDefinition } from '../../core/plugin-api.ts'
import { logDuring } from '../support/log-capture.ts'
import { freshDatabase, initializedDataDir, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { sleep, waitFor } from '../support/wait-for.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const WORKER = fileURLToPath(new URL('./fixtures/job-worker.ts', import.meta.url))
const log = createLogger('debug')
log.silent = !process.env.TEST_LOG



/** A job definition with a local name taken from the full one. */
function job(fullName: string, def: Omit<JobDefinition, 'name' | 'timeout'> & { timeout?: string }): JobDefinition {
  return { name: fullName.split('.').pop()!, timeout: '10s', ...def }
}

interface Worker {
  child: ChildProcess
  line(pattern: RegExp): Promise<RegExpMatchArray>
  exited: Promise<number | null>
}

function spawnWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  const waiters: Array<() => void> = []
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
    for (const w of waiters.splice(0)) w()
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    exited,
    async line(pattern) {
      const until = Date.now() + 20_000
      for (;;) {
        const match = output.match(pattern)
        if (match) return match
        if (child.exitCode !== null || Date.now() > until) throw new Error(`the worker never printed ${pattern} (output: ${output})`)
        await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 200) })
      }
    },
  }
}

describe('jobs: the durable queue', function () {
  let t: TestDatabase
  let db: Database
  const queues: JobQueue[] = []

  function newQueue(options: Partial<JobQueueOptions> = {}): JobQueue {
    const queue = new JobQueue({ db, log, workerId: `test-${queues.length}`, pollMs: 50, backoffMs: () => 0, ...options })
    queues.push(queue)
    return queue
  }
  const row = async (id: string): Promise<JobRow> => db.knex('jobs').where({ id }).first()

  beforeEach(async function () {
    t = await freshDatabase({ migrated: [{ owner: 'core', dir: CORE_MIGRATIONS_DIR }] })
    db = await openDatabase({ databaseUrl: t.databaseUrl, pglite: t.pglite, dataDir: '/tmp/medianest-test', log })
  })

  afterEach(async function () {
    for (const q of queues.splice(0)) await q.stop(1000)
    await db.close()
    await t.drop()
  })

  it('writes the row first, then runs the job with its payload and marks it succeeded', async function () {
    const queue = newQueue()
    const seen: unknown[] = []
    queue.define('test.hello', job('test.hello', { async run(payload, ctx) { seen.push({ payload, attempt: ctx.attempt }) } }), log)
    const id = await queue.enqueue('test.hello', { name: 'Ada' })
    expect((await row(id)).status).to.equal('queued')

    queue.start()
    await waitFor('the job to succeed', async () => (await row(id)).status === 'succeeded')
    expect(seen).to.deep.equal([{ payload: { name: 'Ada' }, attempt: 1 }])
    const done = await row(id)
    expect(done.attempts).to.equal(1)
    expect(done.lease_owner).to.equal(null)
    expect(done.finished_at).to.be.instanceOf(Date)
    expect(await queue.stats()).to.include({ succeeded: 1, queued: 0, running: 0 })
  })

  it('stores an array payload as JSON, not as a PostgreSQL array', async function () {
    const queue = newQueue()
    let got: unknown
    queue.define('test.list', job('test.list', { async run(payload) { got = payload } }), log)
    queue.start()
    const id = await queue.enqueue('test.list', [1, 'two', { three: 3 }])
    await waitFor('the job to succeed', async () => (await row(id)).status === 'succeeded')
    expect(got).to.deep.equal([1, 'two', { three: 3 }])
  })

  it('wakes an idle worker at once through NOTIFY, without waiting for the next poll', async function () {
    const queue = newQueue({ pollMs: 60_000 })
    queue.define('test.wake', job('test.wake', { async run() {} }), log)
    queue.start()
    await sleep(100) // the first poll has passed; only a NOTIFY can wake it now
    const id = await queue.enqueue('test.wake', {})
    // Well inside the 60 s poll, with room for a machine loaded past its cores (2 s was not, once in CI).
    await waitFor('the job to succeed', async () => (await row(id)).status === 'succeeded', 15_000)
  })

  it('returns the active job\'s id for a duplicate dedupeKey and inserts nothing', async function () {
    const queue = newQueue()
    queue.define('test.sync', job('test.sync', { async run() {} }), log)
    const first = await queue.enqueue('test.sync', { n: 1 }, { dedupeKey: 'user-1' })
    const again = await queue.enqueue('test.sync', { n: 2 }, { dedupeKey: 'user-1' })
    const other = await queue.enqueue('test.sync', { n: 3 }, { dedupeKey: 'user-2' })
    expect(again).to.equal(first)
    expect(other).to.not.equal(first)
    const { n } = await db.knex('jobs').first(db.knex.raw('count(*)::int as n'))
    expect(n).to.equal(2)

    // Once the first one is done, the key is free again.
    queue.start()
    await waitFor('the job to succeed', async () => (await row(first)).status === 'succeeded')
    const later = await queue.enqueue('test.sync', { n: 4 }, { dedupeKey: 'user-1' })
    expect(later).to.not.equal(first)
  })

  it('retries a failing job with backoff, then marks it failed with the last error', async function () {
    const delays: number[] = []
    const queue = newQueue({ backoffMs: (attempt) => { delays.push(attempt); return 150 } })
    const startedAt: number[] = []
    queue.define('test.flaky', job('test.flaky', {
      attempts: 3,
      async run(_payload, ctx) {
        startedAt.push(Date.now())
        throw new Error(`upstream said no (try ${ctx.attempt})`)
      },
    }), log)
    const id = await queue.enqueue('test.flaky', {})
    queue.start()
    const failed = await waitFor('the job to fail for good', async () => {
      const r = await row(id)
      return r.status === 'failed' && r
    })
    expect(failed.attempts).to.equal(3)
    expect(failed.max_attempts).to.equal(3)
    expect(failed.last_error).to.equal('attempt 3 of 3 failed: upstream said no (try 3)')
    expect(delays).to.deep.equal([1, 2])
    expect(startedAt).to.have.length(3)
    expect(startedAt[1] - startedAt[0]).to.be.at.least(140)
    expect(startedAt[2] - startedAt[1]).to.be.at.least(140)
  })

  it('uses exponential backoff by default: a failed job waits before its next attempt', async function () {
    const queue = newQueue({ backoffMs: undefined })
    queue.define('test.later', job('test.later', { async run() { throw new Error('not yet') } }), log)
    const id = await queue.enqueue('test.later', {})
    queue.start()
    const requeued = await waitFor('the job to be queued again', async () => {
      const r = await row(id)
      return r.status === 'queued' && r.attempts === 1 && r
    })
    const { wait } = await db.knex('jobs').where({ id }).first(db.knex.raw('extract(epoch from run_at - now())::float as wait'))
    expect(wait).to.be.within(1.5, 2.5) // 2^1 s plus jitter
    expect(requeued.last_error).to.equal('attempt 1 of 5 failed: not yet')
  })

  it('logs a retry as "no sooner than", with the moment the row becomes due, since a busy queue may start it later', async function () {
    const jobLog = createLogger('warn', false, true)
    const queue = newQueue({ backoffMs: () => 2300 })
    queue.define('test.retry', job('test.retry', { attempts: 2, async run() { throw new Error('Overseerr is down') } }), jobLog)
    let id = ''
    const entries = await logDuring(jobLog, 'warn', async () => {
      id = await queue.enqueue('test.retry', {})
      queue.start()
      await waitFor('the job to be queued again', async () => {
        const r = await row(id)
        return r.status === 'queued' && r.attempts === 1
      })
    })
    const messages = entries.map((e) => String(e.message))
    const line = messages.find((m) => m.includes('attempt 1 of 2 failed'))
    expect(line, messages.join('\n')).to.match(
      /^job test\.retry [0-9a-f-]{36}: attempt 1 of 2 failed: Overseerr is down; retrying no sooner than 2 s from now \(at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/)
    expect(line).not.to.include('retrying in')
    // The moment in the log is the row's own run_at, to the second.
    const logged = /\(at (.+)\)$/.exec(line!)![1]
    expect(logged).to.equal(`${(await row(id)).run_at.toISOString().slice(0, 19)}Z`)
  })

  it('aborts a job that exceeds its timeout through its signal, as a failed attempt', async function () {
    const queue = newQueue()
    let reason: unknown
    queue.define('test.slow', job('test.slow', {
      timeout: '200ms',
      attempts: 1,
      async run(_payload, ctx) {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
        reason = ctx.signal.reason
        throw ctx.signal.reason
      },
    }), log)
    const id = await queue.enqueue('test.slow', {})
    queue.start()
    const failed = await waitFor('the job to fail', async () => {
      const r = await row(id)
      return r.status === 'failed' && r
    })
    expect(reason).to.be.instanceOf(Error)
    expect(failed.last_error).to.equal('attempt 1 of 1 failed: the job ran longer than its timeout of 200ms and was stopped')
  })

  it('stops waiting for a handler that ignores its signal at the timeout', async function () {
    const queue = newQueue()
    queue.define('test.deaf', job('test.deaf', { timeout: '100ms', attempts: 1, run: () => new Promise(() => {}) }), log)
    const id = await queue.enqueue('test.deaf', {})
    queue.start()
    await waitFor('the job to fail', async () => (await row(id)).status === 'failed', 3000)
  })

  it('fails a job whose payload does not match its schema at once, without retrying', async function () {
    const queue = newQueue()
    let ran = false
    queue.define('test.typed', job('test.typed', {
      payload: z.object({ url: z.string().url() }),
      async run() { ran = true },
    }), log)
    const id = await queue.enqueue('test.typed', { url: 42 })
    queue.start()
    const failed = await waitFor('the job to fail', async () => {
      const r = await row(id)
      return r.status === 'failed' && r
    })
    expect(ran).to.equal(false)
    expect(failed.attempts).to.equal(1)
    expect(failed.last_error).to.match(/^the payload does not match the job's schema, so it was not run \(url: .+\)$/)
  })

  it('passes the parsed payload (with schema defaults) to the handler', async function () {
    const queue = newQueue()
    let got: unknown
    queue.define('test.defaults', job('test.defaults', {
      payload: z.object({ n: z.number(), mode: z.string().default('fast') }),
      async run(payload) { got = payload },
    }), log)
    const id = await queue.enqueue('test.defaults', { n: 1 })
    queue.start()
    await waitFor('the job to succeed', async () => (await row(id)).status === 'succeeded')
    expect(got).to.deep.equal({ n: 1, mode: 'fast' })
  })

  it('upgrades a payload written by an older version, and refuses one from a newer version', async function () {
    const old = newQueue()
    old.define('test.versioned', job('test.versioned', { async run() {} }), log)
    const oldId = await old.enqueue('test.versioned', { title: 'Dune' })
    await db.knex('jobs').insert({ name: 'test.versioned', payload: JSON.stringify({ titles: ['x'] }), payload_version: 3 })
    const future = (await db.knex('jobs').where({ payload_version: 3 }).first()).id
    expect((await row(oldId)).payload_version).to.equal(1)
    await old.stop(1000)

    const seen: unknown[] = []
    const queue = newQueue()
    queue.define('test.versioned', job('test.versioned', {
      payloadVersion: 2,
      upgrade: (p: unknown, from: number) => (from === 1 ? { titles: [(p as { title: string }).title] } : p),
      payload: z.object({ titles: z.array(z.string()) }),
      async run(payload) { seen.push(payload) },
    }), log)
    queue.start()
    await waitFor('the old job to succeed', async () => (await row(oldId)).status === 'succeeded')
    expect(seen).to.deep.equal([{ titles: ['Dune'] }])
    const refused = await waitFor('the newer job to fail', async () => { const r = await row(future); return r.status === 'failed' && r })
    expect(refused.last_error).to.equal('the payload is version 3 and this job reads version 2; run the newer MediaNest that wrote it')
    const fresh = await queue.enqueue('test.versioned', { titles: ['a'] })
    expect((await row(fresh)).payload_version).to.equal(2)
  })

  it('cancels a queued job, which then never runs', async function () {
    const queue = newQueue()
    let ran = false
    queue.define('test.skip', job('test.skip', { async run() { ran = true } }), log)
    const id = await queue.enqueue('test.skip', {})
    expect(await queue.cancel(id)).to.equal(true)
    expect(await queue.cancel(id)).to.equal(false)
    expect(await queue.cancel('not-a-job-id')).to.equal(false)
    queue.start()
    await sleep(200)
    expect(ran).to.equal(false)
    expect((await row(id)).status).to.equal('cancelled')
  })

  it('cancels a running job: its signal fires and it ends cancelled', async function () {
    const queue = newQueue()
    let signal: AbortSignal | undefined
    queue.define('test.long', job('test.long', {
      async run(_payload, ctx) {
        signal = ctx.signal
        await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
      },
    }), log)
    const id = await queue.enqueue('test.long', {})
    queue.start()
    await waitFor('the job to start', async () => signal)
    expect(await queue.cancel(id)).to.equal(true)
    expect(signal!.aborted).to.equal(true)
    await sleep(100)
    const r = await row(id)
    expect(r.status).to.equal('cancelled')
    expect(r.last_error).to.equal(null)
  })

  it('cancels a job running in another queue through NOTIFY', async function () {
    const runner = newQueue()
    const other = newQueue()
    let signal: AbortSignal | undefined
    runner.define('test.remote', job('test.remote', {
      run: (_payload, ctx) => new Promise((_resolve, reject) => {
        signal = ctx.signal
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
      }),
    }), log)
    other.start()
    const id = await runner.enqueue('test.remote', {})
    runner.start()
    await waitFor('the job to start', async () => signal)
    // A NOTIFY sent before the LISTEN connection is up is lost (the heartbeat would catch it, 10 s later).
    await waitFor('the LISTEN connection', () => db.listening())
    expect(await other.cancel(id)).to.equal(true)
    await waitFor('the running job to be aborted', async () => signal!.aborted, 2000)
    expect((await row(id)).status).to.equal('cancelled')
  })

  describe('onFailed: a job that fails for good tells its plugin, once, in the same transaction', function () {
    interface Seen { job_id: string; payload: string | null; raw: string; error: string }
    const seenRows = async (): Promise<Seen[]> => db.knex('job_failures_seen').orderBy('error')
    const recordFailure: JobDefinition['onFailed'] = async ({ jobId, payload, raw, error, trx }) => {
      await trx('job_failures_seen').insert({ job_id: jobId, payload: payload === undefined ? null : JSON.stringify(payload), raw: JSON.stringify(raw), error })
    }
    beforeEach(async () => {
      await db.knex.raw('create table job_failures_seen (job_id uuid, payload text, raw text, error text)')
    })

    it('after the last attempt throws, and not before', async function () {
      const queue = newQueue()
      let attempts = 0
      const seenAfterCommit: string[] = []
      queue.define('test.doomed', job('test.doomed', {
        attempts: 2,
        payload: z.object({ item: z.string(), size: z.number().default(1) }),
        async run() { attempts += 1; throw new Error(`no luck ${attempts}`) },
        async onFailed(failure) {
          await recordFailure!(failure)
          // Outside the transaction, once it committed: the job reads as failed from anywhere.
          failure.afterCommit(async () => { seenAfterCommit.push((await row(failure.jobId)).status) })
        },
      }), log)
      const id = await queue.enqueue('test.doomed', { item: 'a' })
      queue.start()
      await waitFor('the work left for after the commit', async () => seenAfterCommit.length === 1)
      expect(seenAfterCommit).to.deep.equal(['failed'])
      expect(await seenRows()).to.deep.equal([{ job_id: id, payload: '{"item":"a","size":1}', raw: '{"item":"a"}', error: 'attempt 2 of 2 failed: no luck 2' }])
      expect(attempts).to.equal(2)
    })

    it('after the last attempt times out', async function () {
      const queue = newQueue()
      queue.define('test.slow', job('test.slow', {
        attempts: 1, timeout: '100ms',
        run: (_payload, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
        onFailed: recordFailure,
      }), log)
      const id = await queue.enqueue('test.slow', {})
      queue.start()
      await waitFor('the job to fail', async () => (await row(id)).status === 'failed')
      const [seen] = await seenRows()
      expect(seen.error).to.match(/^attempt 1 of 1 failed: the job ran longer than its timeout of 100ms/)
    })

    it('when its payload is refused: no payload, the stored one as raw', async function () {
      const queue = newQueue()
      queue.define('test.typed', job('test.typed', { payload: z.object({ url: z.url() }), async run() {}, onFailed: recordFailure }), log)
      const id = await queue.enqueue('test.typed', { url: 42 }).catch(() => null)
      // enqueue checks the payload too: write the row as an older MediaNest would have.
      const stored = id ?? (await db.knex('jobs').insert({ name: 'test.typed', payload: JSON.stringify({ url: 42 }), max_attempts: 3 }).returning('id'))[0].id
      queue.start()
      await waitFor('the job to fail', async () => (await row(stored)).status === 'failed')
      const [seen] = await seenRows()
      expect(seen).to.deep.include({ job_id: stored, payload: null, raw: '{"url":42}' })
      expect(seen.error).to.match(/^the payload does not match the job's schema/)
    })

    it('when the process running its last attempt died: the reaper runs it, once across two processes', async function () {
      const a = newQueue({ workerId: 'a' })
      const b = newQueue({ workerId: 'b' })
      let calls = 0
      for (const q of [a, b]) {
        q.define('test.orphan', job('test.orphan', {
          attempts: 1, async run() {},
          async onFailed(failure) { calls += 1; await recordFailure!(failure) },
        }), log)
      }
      const id = await a.enqueue('test.orphan', { n: 1 })
      // What a worker killed mid-run leaves: running, its only attempt taken, the lease run out.
      await db.knex('jobs').where({ id }).update({
        status: 'running', attempts: 1, lease_owner: 'dead-worker', fence: 1, lease_expires_at: db.knex.raw(`now() - interval '1 second'`),
      })
      a.start()
      b.start()
      await waitFor('the job to fail', async () => (await row(id)).status === 'failed')
      await sleep(250) // both queues poll every 50 ms: each has reaped several times more by now
      expect(calls).to.equal(1)
      const [seen] = await seenRows()
      expect(seen.error).to.equal('the worker dead-worker lost its lease during attempt 1 (it crashed or stopped responding)')
      expect((await seenRows()).length).to.equal(1)
    })

    it('one that throws takes back its own writes, is logged, and the job is failed all the same', async function () {
      const queue = newQueue()
      const jobLog = createLogger('warn', false, true)
      queue.define('test.bad-hook', job('test.bad-hook', {
        attempts: 1,
        async run() { throw new Error('the work failed') },
        async onFailed({ trx }) {
          await trx('job_failures_seen').insert({ error: 'half done' })
          throw new Error('the hook broke')
        },
      }), jobLog)
      const entries = await logDuring(jobLog, 'error', async () => {
        const id = await queue.enqueue('test.bad-hook', {})
        queue.start()
        await waitFor('the job to fail', async () => (await row(id)).status === 'failed')
        expect((await row(id)).last_error).to.equal('attempt 1 of 1 failed: the work failed')
      })
      expect(await seenRows()).to.deep.equal([])
      expect(entries.some((e) => /its onFailed failed \(the hook broke\); the job is marked failed all the same/.test(String(e.message)))).to.equal(true)
    })

    it('not for a cancelled job, nor for one that succeeds after a failure', async function () {
      const queue = newQueue()
      let tries = 0
      queue.define('test.recovers', job('test.recovers', {
        attempts: 3, async run() { tries += 1; if (tries === 1) throw new Error('once') },
        onFailed: recordFailure,
      }), log)
      queue.define('test.cancelled', job('test.cancelled', { async run() {}, onFailed: recordFailure }), log)
      const cancelled = await queue.enqueue('test.cancelled', {}, { runAt: new Date(Date.now() + 60_000) })
      expect(await queue.cancel(cancelled)).to.equal(true)
      const id = await queue.enqueue('test.recovers', {})
      queue.start()
      await waitFor('the job to succeed', async () => (await row(id)).status === 'succeeded')
      expect(await seenRows()).to.deep.equal([])
    })
  })

  it('refuses the updates of a worker whose lease was taken over (fencing)', async function () {
    const stale = newQueue({ workerId: 'stale', leaseMs: 60_000 })
    const fresh = newQueue({ workerId: 'fresh', leaseMs: 60_000 })
    let release!: () => void
    const released = new Promise<void>((resolve) => { release = resolve })
    let heartbeatError: unknown
    let staleSignal: AbortSignal | undefined
    stale.define('test.fenced', job('test.fenced', {
      async run(_payload, ctx) {
        staleSignal = ctx.signal
        await released
        try { await ctx.heartbeat() } catch (error) { heartbeatError = error }
        throw new Error('the stale worker fails late')
      },
    }), log)
    fresh.define('test.fenced', job('test.fenced', { async run() {} }), log)

    const id = await stale.enqueue('test.fenced', {})
    stale.start()
    await waitFor('the stale worker to claim it', async () => staleSignal)
    expect((await row(id)).fence).to.equal('1')

    // The stale worker looks dead (its lease ran out); the fresh one reaps and finishes the job.
    await db.knex('jobs').where({ id }).update({ lease_expires_at: db.knex.raw(`now() - interval '1 second'`) })
    fresh.start()
    await waitFor('the fresh worker to finish it', async () => (await row(id)).status === 'succeeded')
    const done = await row(id)
    expect(done.fence).to.equal('3') // reaped (+1), claimed again (+1)
    expect(done.attempts).to.equal(2)

    release()
    await waitFor('the stale worker to give up', async () => staleSignal!.aborted)
    await sleep(100)
    expect(heartbeatError).to.be.instanceOf(Error)
    expect(await row(id)).to.deep.include({ status: 'succeeded', fence: '3', lease_owner: null, last_error: done.last_error })
  })

  it('does not claim jobs whose name this process did not define', async function () {
    const here = newQueue()
    here.define('test.mine', job('test.mine', { async run() {} }), log)
    const foreign = await here.enqueue('test.theirs', {})
    const mine = await here.enqueue('test.mine', {})
    here.start()
    await waitFor('its own job to succeed', async () => (await row(mine)).status === 'succeeded')
    await sleep(150)
    expect(await row(foreign)).to.include({ status: 'queued', attempts: 0 })
  })

  it('runs no more jobs of one name at once than its concurrency', async function () {
    const queue = newQueue()
    let now = 0
    let peak = 0
    queue.define('test.pair', job('test.pair', {
      concurrency: 2,
      async run() {
        peak = Math.max(peak, ++now)
        await sleep(30)
        now--
      },
    }), log)
    for (let i = 0; i < 8; i++) await queue.enqueue('test.pair', { i })
    queue.start()
    await waitFor('all jobs to succeed', async () => (await queue.stats()).succeeded === 8)
    expect(peak).to.equal(2)
  })

  it('renews the lease with a heartbeat while a long job runs', async function () {
    // A lease of 1 s renewed every 333 ms: long enough that a loaded machine's late renewal is still in time.
    const queue = newQueue({ leaseMs: 1000 })
    let finish!: () => void
    queue.define('test.hours', job('test.hours', { run: () => new Promise<void>((resolve) => { finish = resolve }) }), log)
    const id = await queue.enqueue('test.hours', {})
    queue.start()
    await waitFor('the job to start', async () => finish)
    // Past a whole lease: without renewals the reaper would take it back.
    const leases = new Set<number>()
    await waitFor('three renewals of the lease', async () => {
      leases.add((await row(id)).lease_expires_at!.getTime())
      return leases.size >= 4
    })
    expect(await row(id)).to.include({ status: 'running', attempts: 1, fence: '1' })
    finish()
    await waitFor('the job to succeed', async () => (await row(id)).status === 'succeeded')
  })

  it('releases running jobs on stop() so another process resumes them', async function () {
    const queue = newQueue()
    let signal: AbortSignal | undefined
    queue.define('test.interrupted', job('test.interrupted', {
      run: (_payload, ctx) => new Promise((_resolve, reject) => {
        signal = ctx.signal
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))
      }),
    }), log)
    const id = await queue.enqueue('test.interrupted', {})
    queue.start()
    await waitFor('the job to start', async () => signal)
    const began = Date.now()
    await queue.stop(150)
    expect(Date.now() - began).to.be.within(140, 2000)
    expect(signal!.aborted).to.equal(true)
    const released = await row(id)
    expect(released).to.include({ status: 'queued', lease_owner: null, attempts: 0, last_error: null })
    const { due } = await db.knex('jobs').where({ id }).first(db.knex.raw('run_at <= now() as due'))
    expect(due).to.equal(true)

    const next = newQueue({ workerId: 'next' })
    next.define('test.interrupted', job('test.interrupted', { async run() {} }), log)
    next.start()
    await waitFor('another queue to finish it', async () => (await row(id)).status === 'succeeded')
  })

  it('waits for running jobs to finish on stop() when they finish before the deadline', async function () {
    const queue = newQueue()
    let started = false
    queue.define('test.short', job('test.short', { async run() { started = true; await sleep(100) } }), log)
    const id = await queue.enqueue('test.short', {})
    queue.start()
    await waitFor('the job to start', async () => started)
    await queue.stop(5000)
    expect((await row(id)).status).to.equal('succeeded')
  })

  it('resumes a job whose worker process was killed with SIGKILL mid-run', async function () {
    this.timeout(60_000)
    let dataDir: string | undefined
    let id: string
    if (onPostgres) {
      id = await newQueue().enqueue('test.crash', {})
    } else {
      // PGlite serves one process: hand a data folder on disk to the child, then take it back.
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-crash-'))
      await initializedDataDir(dataDir)
      const disk = await openDatabase({ dataDir, log })
      await migrateLatest(disk, [{ owner: 'core', dir: CORE_MIGRATIONS_DIR }])
      id = await new JobQueue({ db: disk, log, workerId: 'enqueuer' }).enqueue('test.crash', {})
      await disk.close()
    }

    const worker = spawnWorker({ MODE: 'hang', LEASE_MS: '1000', WORKER_ID: 'doomed', ...(onPostgres ? { DATABASE_URL: t.databaseUrl! } : { DATA_DIR: dataDir! }) })
    const [, running] = await worker.line(/running (\S+)/)
    expect(running).to.equal(id)
    worker.child.kill('SIGKILL')
    await worker.exited

    let disk: Database | undefined
    try {
      const survivorDb = onPostgres ? db : (disk = await openDatabase({ dataDir: dataDir!, log }))
      const stranded = await survivorDb.knex('jobs').where({ id }).first()
      expect(stranded).to.include({ status: 'running', lease_owner: 'doomed', attempts: 1 })

      const survivor = new JobQueue({ db: survivorDb, log, workerId: 'survivor', leaseMs: 1000, pollMs: 50, backoffMs: () => 0 })
      queues.push(survivor)
      let ranAttempt = 0
      survivor.define('test.crash', job('test.crash', { async run(_payload, ctx) { ranAttempt = ctx.attempt } }), log)
      survivor.start()
      const done = await waitFor('the survivor to finish the job', async () => {
        const r: JobRow = await survivorDb.knex('jobs').where({ id }).first()
        return r.status === 'succeeded' && r
      })
      expect(ranAttempt).to.equal(2)
      expect(done.last_error).to.match(/the worker doomed lost its lease during attempt 1/)
      await survivor.stop(1000)
    } finally {
      await disk?.close()
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('runs 200 jobs across two worker processes, each exactly once (PostgreSQL)', async function () {
    if (!onPostgres) this.skip() // two processes need a database server; PGlite serves one process
    this.timeout(60_000)
    await db.knex.schema.createTable('job_runs', (table) => {
      table.uuid('job_id').notNullable()
      table.string('worker').notNullable()
    })
    const workers = ['one', 'two'].map((name) => spawnWorker({ MODE: 'count', WORKER_ID: name, DATABASE_URL: t.databaseUrl!, CONCURRENCY: '4' }))
    try {
      await Promise.all(workers.map((w) => w.line(/ready/)))
      const enqueuer = newQueue()
      const ids = new Set<string>()
      for (let i = 0; i < 200; i++) ids.add(await enqueuer.enqueue('test.count', { i }))
      expect(ids.size).to.equal(200)

      await waitFor('all 200 jobs to succeed', async () => (await enqueuer.stats()).succeeded === 200, 40_000)
      const runs: Array<{ job_id: string; worker: string }> = await db.knex('job_runs').select()
      expect(runs).to.have.length(200)
      expect(new Set(runs.map((r) => r.job_id))).to.deep.equal(ids)
      expect([...new Set(runs.map((r) => r.worker))].sort()).to.deep.equal(['one', 'two'])
      expect(await enqueuer.stats()).to.include({ succeeded: 200, running: 0, queued: 0, failed: 0 })
    } finally {
      for (const w of workers) w.child.kill('SIGTERM')
      expect(await Promise.all(workers.map((w) => w.exited))).to.deep.equal([0, 0])
    }
  })
})
