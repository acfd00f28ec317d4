import { expect } from 'chai'
import pg from 'pg'
import { openDatabase, type Database } from '../../core/db.ts'
import { createLogger } from '../../core/log.ts'
import { logDuring } from '../support/log-capture.ts'
import { SseClient } from '../support/sse-client.ts'
import { freshDatabase, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { sleep, waitFor } from '../support/wait-for.ts'

const log = createLogger('error', false, true)

/** A connection of "another process" on the test database: it kills, blocks and publishes. */
class Outsider {
  private constructor(private readonly client: pg.Client, private readonly server: pg.Client, private readonly name: string) {}

  static async connect(databaseUrl: string): Promise<Outsider> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'medianest-test-outsider' })
    // A database cannot refuse connections to itself from inside: that goes through the server's default one.
    const server = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL, application_name: 'medianest-test-outsider' })
    await client.connect()
    await server.connect()
    return new Outsider(client, server, new URL(databaseUrl).pathname.slice(1))
  }

  /** What a server restart does to the listener (it is the only 'medianest-listen' here). */
  async killListener(): Promise<number> {
    const { rows } = await this.client.query(`select pg_terminate_backend(pid) as killed from pg_stat_activity
      where application_name = 'medianest-listen' and datname = current_database()`)
    return rows.length
  }

  /** While false, every new connection to the database fails (superusers too). */
  async allowConnections(allow: boolean): Promise<void> {
    await this.server.query(`alter database "${this.name}" allow_connections ${allow}`)
  }

  query(sql: string, params: unknown[] = []) {
    return this.client.query(sql, params)
  }

  async close(): Promise<void> {
    await this.allowConnections(true).catch(() => undefined)
    await this.client.end()
    await this.server.end()
  }
}

describe('database: the LISTEN connection comes back after it drops (PostgreSQL)', function () {
  before(function () {
    // PGlite runs in this process: its LISTEN has no connection that could drop.
    if (!onPostgres) this.skip()
  })

  describe('the listener', function () {
    let t: TestDatabase
    let db: Database
    let outsider: Outsider

    beforeEach(async () => {
      t = await freshDatabase()
      db = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: '/tmp/medianest-test', log, reconnect: { firstDelayMs: 50, maxDelayMs: 200 } })
      outsider = await Outsider.connect(t.databaseUrl!)
    })
    afterEach(async () => {
      await outsider?.close()
      await db?.close()
      await t?.drop()
    })

    it('keeps trying while connection attempts fail, then LISTENs every channel again and says so once', async () => {
      const got: string[] = []
      await db.listen('mn_test_a', (p) => got.push(`a:${p}`))
      await db.listen('mn_test_b', (p) => got.push(`b:${p}`))
      let reconnects = 0
      db.onReconnect(() => { reconnects += 1 })
      expect(db.listening()).to.equal(true)

      const failed = (entries: Array<Record<string, unknown>>) => entries.filter((e) => /could not reconnect/.test(String(e.message)))
      const entries = await logDuring(log, 'warn', async (seen) => {
        await outsider.allowConnections(false)
        expect(await outsider.killListener()).to.equal(1)
        await waitFor('the loss to be seen', () => !db.listening())
        // At 50 ms doubling to 200 ms, several attempts fail meanwhile.
        await waitFor('four failed attempts', () => failed(seen).length >= 4)
        expect(db.listening()).to.equal(false)
        await outsider.allowConnections(true)
        await waitFor('the listener to be back', () => db.listening())
      })
      expect(failed(entries).length).to.be.at.least(4)
      expect(reconnects).to.equal(1)

      await outsider.query(`select pg_notify('mn_test_a', 'one'), pg_notify('mn_test_b', 'two')`)
      await waitFor('both notices', () => got.length === 2)
      expect(got.sort()).to.deep.equal(['a:one', 'b:two'])
    })

    it('comes back each time when killed again right after reconnecting', async () => {
      const got: string[] = []
      await db.listen('mn_test_a', (p) => got.push(p))
      let reconnects = 0
      db.onReconnect(() => { reconnects += 1 })
      for (let round = 1; round <= 3; round++) {
        expect(await outsider.killListener(), `round ${round}`).to.equal(1)
        await waitFor(`the loss, round ${round}`, () => !db.listening())
        await waitFor(`the listener back, round ${round}`, () => db.listening())
        expect(reconnects).to.equal(round)
      }
      await outsider.query(`select pg_notify('mn_test_a', 'after three losses')`)
      await waitFor('the notice', () => got.length === 1)
    })

    it('stops trying once closed', async () => {
      await db.listen('mn_test_a', () => undefined)
      await outsider.allowConnections(false)
      await outsider.killListener()
      await waitFor('the loss to be seen', () => !db.listening())
      const entries = await logDuring(log, 'warn', async () => {
        await db.close()
        await sleep(250) // past the longest wait between attempts (200 ms)
      })
      expect(entries.filter((e) => /could not reconnect/.test(String(e.message)))).to.deep.equal([])
      db = undefined as unknown as Database
    })
  })

  describe('a whole MediaNest', function () {
    let host: TestHost
    let outsider: Outsider
    const streams: SseClient[] = []

    before(async () => {
      host = await startTestHost()
      outsider = await Outsider.connect(host.database.databaseUrl!)
    })
    after(async () => {
      for (const s of streams.splice(0)) await s.close()
      await outsider?.close()
      await host?.stop()
    })

    const readyz = async () => {
      const res = await fetch(`${host.url}/readyz`)
      const body = await res.json() as { status: string }
      return { status: res.status, body }
    }
    const notReady = async () => (await readyz()).status === 503
    const ready = async () => (await readyz()).status === 200
    async function open(cookie: string): Promise<SseClient> {
      const stream = await SseClient.open(host.url, { Cookie: `mn_session=${cookie}` })
      streams.push(stream)
      expect(stream.status).to.equal(200)
      return stream
    }

    it('is not ready while the listener is down; then streams get what was published meanwhile and a revocation made in the gap holds', async () => {
      const { client: alice, user: aliceUser } = await host.signedIn()
      const { client: bob } = await host.signedIn()
      const aliceStream = await open(alice.cookie('mn_session')!)
      const bobStream = await open(bob.cookie('mn_session')!)
      expect(await readyz()).to.deep.include({ status: 200 })
      expect((await alice.get('/')).status).to.equal(200) // her session is now cached in this process

      // An outage the old listener did not survive: the connection drops and reconnecting fails for a while.
      await outsider.allowConnections(false)
      expect(await outsider.killListener()).to.equal(1)
      await waitFor('/readyz to say not ready', notReady, 3000)
      expect(host.app.db.listening()).to.equal(false)
      expect((await readyz()).body.status).to.equal('not ready')

      // Another process, meanwhile: it publishes a fragment and signs Alice out. Both notices are lost here.
      await outsider.query(`with row as (insert into live_events (event, html, role) values ('message', '<p>during the gap</p>', 'USER') returning id)
        select pg_notify('medianest_live', id::text) from row`)
      await outsider.query('delete from sessions where user_id = $1', [aliceUser.id])
      await sleep(200) // a reconnect attempt fails meanwhile
      await outsider.allowConnections(true)

      // Her cached session must not outlive the revocation, listener back yet or not.
      const refused = await alice.get('/')
      expect(refused.status).to.equal(303)
      expect(refused.location).to.match(/^\/login/)

      await waitFor('/readyz to say ready again', ready, 15_000)
      await bobStream.waitFor('the fragment published during the gap', (text) => text.includes('<p>during the gap</p>'))
      await aliceStream.waitForEnd('the revoked session\'s stream to end')

      // Twice more in a row, publishing from this process while it is down.
      for (const round of [1, 2]) {
        expect(await outsider.killListener()).to.equal(1)
        await waitFor(`/readyz to say not ready (round ${round})`, notReady, 3000)
        await host.app.core.live.publish('message', `<p>published while down ${round}</p>`, { role: 'USER' })
        await waitFor(`/readyz to say ready (round ${round})`, ready, 10_000)
        await bobStream.waitFor(`the fragment of round ${round}`, (text) => text.includes(`<p>published while down ${round}</p>`))
      }
      await host.app.core.live.publish('message', '<p>after it all</p>', { role: 'USER' })
      await bobStream.waitFor('a fragment published after', (text) => text.includes('<p>after it all</p>'))
      expect(bobStream.ended).to.equal(false)
      expect(bobStream.text.match(/during the gap/g)).to.have.length(1)
    })
  })
})
