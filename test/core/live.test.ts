import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import express, { type ErrorRequestHandler } from 'express'
import { openDatabase, type Database } from '../../core/db.ts'
import { LiveHub, type RecheckViewer } from '../../core/live.ts'
import { SESSION_CHANGES_CHANNEL } from '../../core/auth/session-cache.ts'
import { createLogger } from '../../core/log.ts'
import { CORE_MIGRATIONS_DIR } from '../../core/migrations.ts'
import { HttpError, type Viewer } from '../../core/plugin-api.ts'
import { freshDatabase, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { SseClient } from '../support/sse-client.ts'
import { sleep } from '../support/wait-for.ts'

const log = createLogger('debug')
log.silent = !process.env.TEST_LOG

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await sleep(1)
}

function viewer(id: string, role: Viewer['role']): Viewer {
  return { id, role, email: `${role.toLowerCase()}@example.test`, name: null, image: null, requiresPasswordChange: false, sessionId: null, timeZone: null }
}
const ALICE = viewer('0b7e3c4e-0000-4000-8000-00000000000a', 'USER')
const BOB = viewer('0b7e3c4e-0000-4000-8000-00000000000b', 'USER')
const ADA = viewer('0b7e3c4e-0000-4000-8000-0000000000ad', 'ADMIN')
const VIEWERS: Record<string, Viewer> = { alice: ALICE, bob: BOB, ada: ADA }

interface Served { base: string; hub: LiveHub; close(): Promise<void> }

async function serve(hub: LiveHub): Promise<Served> {
  const app = express()
  app.get('/events', hub.handler((req) => VIEWERS[req.get('X-Test-User') ?? ''] ?? null))
  const errors: ErrorRequestHandler = (error, _req, res, _next) => {
    res.status(error instanceof HttpError ? error.status : 500).type('text/plain').send(error.message)
  }
  app.use(errors)
  const server = http.createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    base: `http://127.0.0.1:${port}`,
    hub,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

describe('live: the one SSE stream per page', function () {
  let t: TestDatabase
  let db: Database
  let hub: LiveHub
  let served: Served
  const clients: SseClient[] = []
  const cleanups: Array<() => Promise<void>> = []

  async function connect(user: string | null, lastEventId?: string, path?: string): Promise<SseClient> {
    const client = await SseClient.open(served.base, user ? { 'X-Test-User': user } : {}, lastEventId, path)
    clients.push(client)
    return client
  }
  const lastId = async (): Promise<string> => String((await db.knex('live_events').max({ id: 'id' }))[0].id)

  beforeEach(async function () {
    t = await freshDatabase({ migrated: [{ owner: 'core', dir: CORE_MIGRATIONS_DIR }] })
    db = await openDatabase({ databaseUrl: t.databaseUrl, pglite: t.pglite, dataDir: '/tmp/medianest-test', log })
    hub = new LiveHub({ db, log, heartbeatMs: 60_000 })
    await hub.start()
    served = await serve(hub)
  })

  afterEach(async function () {
    for (const c of clients.splice(0)) await c.close()
    for (const fn of cleanups.splice(0).reverse()) await fn()
    await hub.stop()
    await served.close()
    await db.close()
    await t.drop()
  })

  it('streams a published fragment in the exact format hx-sse parses', async function () {
    const client = await connect('alice')
    expect(client.status).to.equal(200)
    expect(client.headers.get('content-type')).to.match(/^text\/event-stream/)
    expect(client.headers.get('cache-control')).to.equal('no-cache, no-transform')
    expect(client.headers.get('x-accel-buffering')).to.equal('no')
    await client.waitFor('the retry line', (text) => text === 'retry: 3000\n\n')

    await hub.publish('message', '<hx-partial hx-target="#youtube-download-7" hx-swap="outerHTML">\n  <li>Done</li>\n</hx-partial>', { userId: ALICE.id })
    await hub.publish('youtube-progress', '42', { userId: ALICE.id })
    await client.waitFor('two events', () => client.ids().length === 2)
    const [first, second] = client.ids()
    expect(client.text).to.equal(
      'retry: 3000\n\n' +
      `id: ${first}\n` +
      'data: <hx-partial hx-target="#youtube-download-7" hx-swap="outerHTML">\n' +
      'data:   <li>Done</li>\n' +
      'data: </hx-partial>\n\n' +
      `id: ${second}\n` +
      'event: youtube-progress\n' +
      'data: 42\n\n',
    )
  })

  it('never sends one user\'s fragments to another user', async function () {
    const alice = await connect('alice')
    const bob = await connect('bob')
    await hub.publish('message', '<p>for bob</p>', { userId: BOB.id })
    await hub.publish('message', '<p>for alice</p>', { userId: ALICE.id })
    await alice.waitFor('her fragment', (text) => text.includes('for alice'))
    await bob.waitFor('his fragment', (text) => text.includes('for bob'))
    await sleep(50)
    expect(alice.text).to.not.include('for bob')
    expect(bob.text).to.not.include('for alice')
  })

  it('sends an ADMIN fragment to admins only, and a USER fragment to everyone signed in', async function () {
    const alice = await connect('alice')
    const ada = await connect('ada')
    await hub.publish('message', '<p>admins only</p>', { role: 'ADMIN' })
    await hub.publish('message', '<p>everyone</p>', { role: 'USER' })
    await ada.waitFor('both fragments', (text) => text.includes('admins only') && text.includes('everyone'))
    await alice.waitFor('the USER fragment', (text) => text.includes('everyone'))
    expect(alice.text).to.not.include('admins only')
  })

  it('replays what a reconnecting page missed (Last-Event-ID), then goes live, without duplicates', async function () {
    const first = await connect('alice')
    await hub.publish('message', '<p>one</p>', { userId: ALICE.id })
    await first.waitFor('the first event', () => first.ids().length === 1)
    const [seen] = first.ids()
    await first.close()

    await hub.publish('message', '<p>two</p>', { userId: ALICE.id })
    await hub.publish('message', '<p>not hers</p>', { userId: BOB.id })
    await hub.publish('message', '<p>admins</p>', { role: 'ADMIN' })
    await hub.publish('message', '<p>three</p>', { role: 'USER' })

    const again = await connect('alice', seen)
    await again.waitFor('the replay', (text) => text.includes('three'))
    await hub.publish('message', '<p>four</p>', { userId: ALICE.id })
    await again.waitFor('the live event', (text) => text.includes('four'))
    expect([...again.text.matchAll(/<p>(\w+)<\/p>/g)].map((m) => m[1])).to.deep.equal(['two', 'three', 'four'])
    const ids = again.ids().map(Number)
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b))
    expect(ids[0]).to.be.above(Number(seen))
  })

  it('a page\'s first connection replays from the mark it was rendered with; Last-Event-ID wins once it has one', async function () {
    await hub.publish('message', '<p>before the page</p>', { userId: ALICE.id })
    // The mark is what this process has seen: on PostgreSQL the publish reaches it as a NOTIFY, a moment later.
    const published = await lastId()
    await waitUntil(() => hub.mark() === published)
    const rendered = hub.mark()
    // Published while the page loads, before its stream connects.
    await hub.publish('message', '<p>while loading</p>', { userId: ALICE.id })
    const page = await connect('alice', undefined, `/events?since=${rendered}`)
    await page.waitFor('the event published while it loaded', (text) => text.includes('while loading'))
    expect(page.text).not.to.include('before the page')
    const [got] = page.ids()

    await hub.publish('message', '<p>after</p>', { userId: ALICE.id })
    const reconnected = await connect('alice', got, `/events?since=${rendered}`)
    await reconnected.waitFor('the replay from Last-Event-ID', (text) => text.includes('after'))
    expect(reconnected.text).not.to.include('while loading')

    // A hostile or malformed mark replays nothing; the stream still opens.
    for (const since of ['-1', '1%20or%201=1', '9'.repeat(19), '']) {
      const odd = await connect('alice', undefined, `/events?since=${since}`)
      expect(odd.status).to.equal(200)
      await hub.publish('message', `<p>probe ${since.length}</p>`, { userId: ALICE.id })
      await odd.waitFor('the live probe', (text) => text.includes(`probe ${since.length}`))
      expect(odd.text).not.to.include('while loading')
      expect(odd.ids()).to.have.length(1)
    }
  })

  it('leaves no gap and no duplicate when events are published while the page reconnects', async function () {
    await hub.publish('message', '<p>0</p>', { userId: ALICE.id })
    const since = await lastId()
    let published = 0
    const publishing = (async () => {
      for (let i = 1; i <= 40; i++) {
        await hub.publish('message', `<p>${i}</p>`, { userId: ALICE.id })
        published = i
        await sleep(1) // PGlite answers without yielding to I/O: let the page's request in
      }
    })()
    await waitUntil(() => published >= 5)
    const client = await connect('alice', since)
    const publishedAtConnect = published
    await publishing
    // The page connected mid-burst: some events came from the replay, the rest live.
    expect(publishedAtConnect).to.be.within(5, 35)
    await client.waitFor('all 40 events', (text) => text.includes('<p>40</p>'))
    await sleep(100)
    const all: string[] = (await db.knex('live_events').where('id', '>', since).orderBy('id').pluck('id')).map(String)
    expect(client.ids()).to.deep.equal(all)
    expect(all).to.have.length(40)
  })

  it('writes a heartbeat comment every heartbeatMs', async function () {
    const quick = new LiveHub({ db, log, heartbeatMs: 100 })
    await quick.start()
    const quickServer = await serve(quick)
    cleanups.push(async () => { await quick.stop(); await quickServer.close() })
    const client = await SseClient.open(quickServer.base, { 'X-Test-User': 'alice' })
    clients.push(client)
    await client.waitFor('two heartbeats', (text) => text === 'retry: 3000\n\n: heartbeat\n\n: heartbeat\n\n', 1000)
  })

  it('gives a signed-out page an anonymous stream that hears public events only, live and replayed', async function () {
    const visitor = await connect(null)
    const alice = await connect('alice')
    expect(visitor.status).to.equal(200)
    await hub.publish('message', '<p>for alice</p>', { userId: ALICE.id })
    await hub.publish('message', '<p>signed in</p>', { role: 'USER' })
    await hub.publish('message', '<p>admins</p>', { role: 'ADMIN' })
    await hub.publish('board-changed', '', { public: true })
    await visitor.waitFor('the public event', (text) => text.includes('event: board-changed'))
    await alice.waitFor('hers and the public one', (text) => text.includes('for alice') && text.includes('event: board-changed'))
    expect(visitor.ids()).to.have.length(1)
    // Reconnecting from before all four: the replay holds the public one only.
    const replayed = await connect(null, '0')
    await replayed.waitFor('the replay', () => replayed.ids().length === 1)
    await sleep(50)
    expect(replayed.text).to.not.match(/alice|signed in|admins/)
  })

  it('caps anonymous streams per address (the oldest gives way) and per process (429), apart from signed-in ones', async function () {
    const hubWith = async (options: { maxAnonymousStreams: number; maxAnonymousStreamsPerAddress: number }) => {
      const h = new LiveHub({ db, log, heartbeatMs: 60_000, ...options })
      await h.start()
      const server = await serve(h)
      cleanups.push(async () => { await h.stop(); await server.close() })
      const open = async (headers: Record<string, string> = {}) => {
        const c = await SseClient.open(server.base, headers)
        clients.push(c)
        return c
      }
      return { h, open }
    }
    const perAddress = await hubWith({ maxAnonymousStreams: 10, maxAnonymousStreamsPerAddress: 2 })
    const first = await perAddress.open()
    await perAddress.open()
    await perAddress.open()
    // All from 127.0.0.1: the third closed the first.
    await first.waitFor('the oldest to be closed', () => first.ended)
    expect(perAddress.h.connections()).to.equal(2)

    const perProcess = await hubWith({ maxAnonymousStreams: 2, maxAnonymousStreamsPerAddress: 10 })
    await perProcess.open()
    await perProcess.open()
    const refused = await perProcess.open()
    expect(refused.status).to.equal(429)
    expect((await perProcess.open({ 'X-Test-User': 'bob' })).status).to.equal(200)
    expect(perProcess.h.connections()).to.equal(3)
  })

  it('forgets a stream when the page goes away, and ends every stream on stop()', async function () {
    const leaving = await connect('alice')
    const staying = await connect('bob')
    expect(hub.connections()).to.equal(2)
    await leaving.close()
    await staying.waitFor('the server to notice', () => hub.connections() === 1)

    await hub.stop()
    await staying.waitFor('the stream to end', () => staying.ended)
    expect(hub.connections()).to.equal(0)
  })

  it('refuses an audience that names nobody, and an event name with a newline', async function () {
    let error: Error | undefined
    try { await hub.publish('message', '<p>x</p>', {} as never) } catch (e) { error = e as Error }
    expect(error?.message).to.equal(`A live audience is { userId }, { role: 'ADMIN' | 'USER' } or { public: true }, not {}.`)
    error = undefined
    try { await hub.publish('bad\nevent: x', '<p>x</p>', { role: 'USER' }) } catch (e) { error = e as Error }
    expect(error?.message).to.match(/cannot be a live event name/)
  })

  it('prunes rows older than keepFor', async function () {
    await hub.publish('message', '<p>old</p>', { role: 'USER' })
    await hub.publish('message', '<p>new</p>', { role: 'USER' })
    await db.knex('live_events').where('html', '<p>old</p>').update({ created_at: db.knex.raw(`now() - interval '11 minutes'`) })
    expect(await hub.prune()).to.equal(1)
    expect(await db.knex('live_events').pluck('html')).to.deep.equal(['<p>new</p>'])
  })

  /** A hub whose re-checks wait for the test to answer them. */
  async function checkedHub(): Promise<{ base: string; hub: LiveHub; answers: Array<(v: Viewer | null | Error) => void> }> {
    const answers: Array<(v: Viewer | null | Error) => void> = []
    const recheck: RecheckViewer = () => new Promise((resolve, reject) => {
      answers.push((v) => (v instanceof Error ? reject(v) : resolve(v)))
    })
    const checked = new LiveHub({ db, log, heartbeatMs: 60_000, recheck })
    await checked.start()
    const server = await serve(checked)
    cleanups.push(async () => { await checked.stop(); await server.close() })
    return { base: server.base, hub: checked, answers }
  }

  it('holds what arrives while a re-check runs, then delivers it to the viewer the re-check found', async function () {
    const { base, hub: checked, answers } = await checkedHub()
    const client = await SseClient.open(base, { 'X-Test-User': 'ada' })
    clients.push(client)
    await waitUntil(() => answers.length === 1)
    answers[0](ADA) // the check every stream gets when it opens

    await db.notify(SESSION_CHANGES_CHANNEL, ADA.id)
    await waitUntil(() => answers.length === 2)
    await checked.publish('message', '<p>admins</p>', { role: 'ADMIN' })
    await checked.publish('message', '<p>everyone</p>', { role: 'USER' })
    await sleep(100)
    expect(client.ids()).to.deep.equal([])

    answers[1]({ ...ADA, role: 'USER' }) // demoted meanwhile
    await client.waitFor('the USER fragment', (text) => text.includes('everyone'))
    expect(client.text).not.to.include('admins')
    expect(client.ended).to.equal(false)
  })

  it('closes a stream whose re-check finds no viewer, or fails', async function () {
    const { base, answers } = await checkedHub()
    const gone = await SseClient.open(base, { 'X-Test-User': 'alice' })
    const failing = await SseClient.open(base, { 'X-Test-User': 'bob' })
    clients.push(gone, failing)
    await waitUntil(() => answers.length === 2)
    answers[0](null)
    answers[1](new Error('the database did not answer'))
    await gone.waitForEnd('the stream with no viewer to end')
    await failing.waitForEnd('the stream whose check failed to end')
  })

  it('carries a fragment published through another database handle to this process\'s streams (PostgreSQL)', async function () {
    if (!onPostgres) this.skip() // PGlite serves one process, so there is no other handle to publish through
    const otherDb = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: '/tmp/medianest-test', log })
    const otherHub = new LiveHub({ db: otherDb, log })
    await otherHub.start()
    cleanups.push(async () => { await otherHub.stop(); await otherDb.close() })

    const client = await connect('alice')
    await otherHub.publish('message', '<p>from the other process</p>', { userId: ALICE.id })
    await client.waitFor('the fragment', (text) => text.includes('<p>from the other process</p>'))
  })
})
