import net from 'node:net'
import type { AddressInfo } from 'node:net'
import express from 'express'
import pg from 'pg'
import { expect } from 'chai'
import { isDatabaseUnreachable } from '../../core/http/database-outage.ts'
import { healthRoutes } from '../../core/http/health.ts'
import { createLogger } from '../../core/log.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { freshDatabase, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { logDuring } from '../support/log-capture.ts'
import { waitFor } from '../support/wait-for.ts'
import type { TestClient } from '../support/http-client.ts'

/** The error a real connection attempt fails with. */
async function connectError(config: pg.ClientConfig): Promise<Error> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 5000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (error) {
    return error as Error
  } finally {
    await client.end().catch(() => undefined)
  }
  throw new Error('the connection unexpectedly succeeded')
}

async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A TCP hop in front of PostgreSQL that a test can cut (refuse and reset everything) and restore. */
class CuttableProxy {
  private server: net.Server | null = null
  private sockets = new Set<net.Socket>()
  port = 0

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    if (this.server) return
    this.server = net.createServer((inbound) => {
      const outbound = net.connect(this.target.port, this.target.host)
      for (const s of [inbound, outbound]) {
        this.sockets.add(s)
        s.on('close', () => this.sockets.delete(s))
        s.on('error', () => { inbound.destroy(); outbound.destroy() })
      }
      inbound.pipe(outbound).pipe(inbound)
    })
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(this.port, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
  }

  async cut(): Promise<void> {
    const closed = new Promise((resolve) => this.server?.close(resolve))
    for (const s of this.sockets) s.resetAndDestroy()
    await closed
    this.server = null
  }
}

describe('database outage: recognising an unreachable database', function () {
  this.timeout(30_000)

  it('knows a refused connection, also when Node reports every address of a host at once', async () => {
    const port = await closedPort()
    const refused = await connectError({ host: '127.0.0.1', port })
    expect((refused as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED')
    expect(isDatabaseUnreachable(refused)).to.equal(true)
    const everyAddress = await connectError({ host: 'localhost', port })
    expect(isDatabaseUnreachable(everyAddress)).to.equal(true)
  })

  it('does not take an upstream service that is down for the database', async () => {
    const port = await closedPort()
    const upstreamDown = await fetch(`http://127.0.0.1:${port}/`).then(() => null, (error: Error) => error)
    expect((upstreamDown?.cause as NodeJS.ErrnoException | undefined)?.code).to.equal('ECONNREFUSED')
    expect(isDatabaseUnreachable(upstreamDown)).to.equal(false)
  })

  it('knows a connection the server drops ("Connection terminated unexpectedly")', async () => {
    const server = net.createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const dropped = await connectError({ host: '127.0.0.1', port: (server.address() as AddressInfo).port })
      expect(dropped.message).to.match(/^Connection terminated/)
      expect(isDatabaseUnreachable(dropped)).to.equal(true)
      // The same through a knex query: knex puts the statement first (seen in CI as a 500).
      const viaKnex = Object.assign(new Error(`select * from "sessions" where "session_token" = $1 limit $2 - ${dropped.message}`), { code: undefined })
      expect(isDatabaseUnreachable(viaKnex)).to.equal(true)
      // …but words of a statement's own are not pg's.
      expect(isDatabaseUnreachable(new Error('insert into notes (text) values (\'Connection terminated\') - value too long for type character varying(5)'))).to.equal(false)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('knows PostgreSQL\'s shutdown and connection-exception codes', () => {
    for (const code of ['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08P01']) {
      const error = new pg.DatabaseError('terminating connection due to administrator command', 0, 'error')
      error.code = code
      expect(isDatabaseUnreachable(error), code).to.equal(true)
    }
  })

  it('does not mistake other database errors for an outage', async () => {
    const database = await freshDatabase()
    const client = database.pglite
      ? { query: (sql: string) => database.pglite!.query(sql), end: () => database.pglite!.close() }
      : new pg.Client({ connectionString: database.databaseUrl })
    if (client instanceof pg.Client) await client.connect()
    try {
      await client.query('create sequence s')
      for (const sql of [
        'select * from no_such_table',
        'select 1/0',
        "select convert_from('\\x00'::bytea, 'UTF8')",
        "select currval('s')",
        'selec 1',
      ]) {
        let error: unknown = null
        try { await client.query(sql) } catch (e) { error = e }
        expect(error, sql).to.be.an('error')
        expect(isDatabaseUnreachable(error), sql).to.equal(false)
      }
    } finally {
      await client.end()
      await database.drop()
    }
    expect(isDatabaseUnreachable(new Error('kaboom'))).to.equal(false)
    expect(isDatabaseUnreachable(null)).to.equal(false)
  })
})

describe('database outage: /readyz says ready or not ready, nothing more', function () {
  this.timeout(30_000)

  it('keeps the reason (host, port, error) out of the answer and in the log, once per interval', async () => {
    const log = createLogger('error', false, true)
    let failure: Error | null = new Error('connect ECONNREFUSED 10.1.2.3:5433')
    const app = express().use(healthRoutes(async () => {
      if (failure) throw failure
      return { ok: true, detail: { database: 'postgres', migrations: 'done' } }
    }, log))
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`
    try {
      const bodies: string[] = []
      const logged = await logDuring(log, 'warn', async () => {
        for (let i = 0; i < 5; i++) {
          const res = await fetch(url)
          expect(res.status).to.equal(503)
          bodies.push(await res.text())
        }
      })
      for (const body of bodies) expect(JSON.parse(body)).to.deep.equal({ status: 'not ready' })
      expect(logged.map((e) => e.message)).to.have.length(1)
      expect(String(logged[0].message)).to.contain('ECONNREFUSED 10.1.2.3:5433')

      failure = null
      const ready = await fetch(url)
      expect(ready.status).to.equal(200)
      expect(await ready.json()).to.deep.equal({ status: 'ready' })
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe('database outage: a running app whose database stops taking connections', function () {
  this.timeout(120_000)
  let host: TestHost
  let admin: TestClient
  let name = ''

  const asServerAdmin = async (sql: string) => {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
    await client.connect()
    try { await client.query(sql) } finally { await client.end() }
  }

  before(async function () {
    if (!onPostgres) return this.skip()
    host = await startTestHost()
    name = new URL(host.database.databaseUrl!).pathname.slice(1)
    admin = (await host.signedIn(await host.createUser({ role: 'ADMIN' }))).client
  })
  after(async () => {
    if (!onPostgres) return
    await asServerAdmin(`alter database ${name} with allow_connections true`).catch(() => undefined)
    await host?.stop()
  })

  it('answers 503 while its backends are terminated and new connections refused, and recovers after', async () => {
    expect((await admin.get('/admin/errors')).status).to.equal(200)
    await asServerAdmin(`alter database ${name} with allow_connections false`)
    await asServerAdmin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`)
    // What the server logged goes into the failure message: an error that is not taken
    // for an outage (a 500) is only ever seen on a busy CI machine, once.
    await logDuring(host.app.log, 'warn', async (logged) => {
      for (let i = 0; i < 3; i++) {
        const res = await admin.get('/admin/errors')
        const seen = `request ${i + 1}; server log: ${JSON.stringify(logged.map((e) => [e.message, e.stack]))}`
        expect(res.status, seen).to.equal(503)
        expect(res.headers.get('retry-after')).to.equal('5')
        expect(res.text).to.contain('The database cannot be reached right now').and.not.contain(name)
      }
    })
    const ready = await fetch(`${host.url}/readyz`)
    expect([ready.status, await ready.text()]).to.deep.equal([503, '{"status":"not ready"}'])

    await asServerAdmin(`alter database ${name} with allow_connections true`)
    await waitFor('readiness after the database took connections again', async () => (await fetch(`${host.url}/readyz`)).status === 200, 20_000)
    expect((await admin.get('/admin/errors')).status).to.equal(200)
    expect(await host.db('error_logs').where('status_code', '>=', 500)).to.deep.equal([])
  })
})

describe('database outage: a running app whose PostgreSQL goes away', function () {
  this.timeout(120_000)
  let database: TestDatabase
  let proxy: CuttableProxy
  let host: TestHost
  let admin: TestClient

  before(async function () {
    if (!onPostgres) return this.skip()
    database = await freshDatabase()
    const direct = new URL(database.databaseUrl!)
    proxy = new CuttableProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
    await proxy.open()
    const viaProxy = new URL(direct)
    viaProxy.hostname = '127.0.0.1'
    viaProxy.port = String(proxy.port)
    host = await startTestHost({ database: { ...database, databaseUrl: viaProxy.toString() } })
    admin = (await host.signedIn(await host.createUser({ role: 'ADMIN' }))).client
  })
  after(async () => {
    if (!onPostgres) return
    await proxy.open().catch(() => undefined)
    await host?.stop()
    // Closed too, or its listening socket keeps the test process alive after the suite.
    await proxy.cut()
    await database.drop()
  })

  it('answers 503 with Retry-After and says the database cannot be reached, then recovers', async () => {
    expect((await admin.get('/admin/errors')).status).to.equal(200)
    await proxy.cut()
    const logged = await logDuring(host.app.log, 'warn', async () => {
      for (let i = 0; i < 3; i++) {
        const res = await admin.get('/admin/errors')
        expect(res.status).to.equal(503)
        expect(res.headers.get('retry-after')).to.equal('5')
        expect(res.text).to.contain('The database cannot be reached right now').and.not.contain('Something went wrong')
        expect(res.text).not.to.contain(String(proxy.port)).and.not.to.contain('ECONNREFUSED')
      }
      const json = await admin.get('/admin/errors', { headers: { Accept: 'application/json' } })
      expect(json.status).to.equal(503)
      expect(JSON.parse(json.text).error).to.include({ status: 503, code: 'DatabaseUnreachable' })

      const ready = await fetch(`${host.url}/readyz`)
      expect(ready.status).to.equal(503)
      const text = await ready.text()
      expect(JSON.parse(text)).to.deep.equal({ status: 'not ready' })
      expect(text).not.to.contain(String(proxy.port)).and.not.to.contain('127.0.0.1')
    })
    const outageWarnings = logged.filter((e) => /database unreachable/.test(String(e.message)))
    expect(outageWarnings, 'one warn per interval, not one per request').to.have.length(1)

    await proxy.open()
    await waitFor('readiness after the database came back', async () => (await fetch(`${host.url}/readyz`)).status === 200, 20_000)
    expect(await (await fetch(`${host.url}/readyz`)).json()).to.deep.equal({ status: 'ready' })
    expect((await admin.get('/admin/errors')).status).to.equal(200)
    const rows = await host.db('error_logs').where({ error_code: 'DatabaseUnreachable' })
    expect(rows).to.deep.equal([])
  })
})
