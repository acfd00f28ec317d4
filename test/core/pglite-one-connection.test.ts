// PGlite is one connection. A query outside a transaction, made from inside it, used to
// wait for the transaction while the transaction waited for it: the whole process stalled
// 30 s, then failed with KnexTimeoutError. Now it fails at once, saying what to do, and a
// community plugin doing exactly that (fixtures/plugins/nested-call) gets a plain 500
// while the process keeps serving. On PostgreSQL the same code takes a second connection.
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { NestedConnectionError, openDatabase, type Database } from '../../core/db.ts'
import { createLogger } from '../../core/log.ts'
import { logDuring } from '../support/log-capture.ts'
import { freshDatabase, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const NESTED = fileURLToPath(new URL('../fixtures/plugins/nested-call', import.meta.url))

describe('PGlite: a nested pool call inside a transaction fails at once, not after a 30 s stall', function () {
  describe('the database', function () {
    let t: TestDatabase
    let db: Database

    before(async function () {
      if (onPostgres) this.skip()
      t = await freshDatabase()
      db = await openDatabase({ dataDir: '/tmp/medianest-test', pglite: t.pglite, log: createLogger('error', false, true) })
      await db.knex.raw('create table one_connection (n int)')
    })
    after(async () => {
      await db?.close()
      await t?.drop()
    })

    it('refuses a query on the pool from inside a transaction, and the transaction writes nothing', async () => {
      let refused: unknown
      const outcome = await db.knex.transaction(async (trx) => {
        await trx('one_connection').insert({ n: 1 })
        try {
          await db.knex('one_connection').count()
        } catch (error) {
          refused = error
        }
        throw new Error('roll back')
      }).catch((error: Error) => error.message)
      expect(outcome).to.equal('roll back')
      expect(refused).to.be.instanceOf(NestedConnectionError)
      expect((refused as Error).message).to.include('one connection').and.include('trx')
      expect(Number((await db.knex('one_connection').count('* as n').first())!.n)).to.equal(0)
    })

    it('refuses a second transaction opened inside the first', async () => {
      const error = await db.knex.transaction(async () => db.knex.transaction(async (inner) => inner.raw('select 1'))).catch((e: Error) => e)
      expect(error).to.be.instanceOf(NestedConnectionError)
    })

    it('lets work from outside wait for the transaction, and work the handler left behind run after it', async () => {
      let release!: () => void
      const held = new Promise<void>((resolve) => { release = resolve })
      let leftBehind: Promise<unknown> | undefined
      const transaction = db.knex.transaction(async (trx) => {
        await trx('one_connection').insert({ n: 2 })
        await held
        // Not awaited: it runs once the handler has finished, on the connection it gave back.
        leftBehind = new Promise((resolve) => setTimeout(resolve, 0)).then(() => db.knex('one_connection').where({ n: 2 }).count('* as n').first())
      })
      const outside = db.knex('one_connection').insert({ n: 3 })
      release()
      await Promise.all([transaction, outside])
      expect(Number((await leftBehind as { n: string }).n)).to.equal(1)
      expect(Number((await db.knex('one_connection').count('* as n').first())!.n)).to.equal(2)
      // Savepoints ride on the transaction's own connection.
      expect(await db.knex.transaction(async (trx) => trx.transaction(async (inner) => (await inner.raw('select 7 as v')).rows[0].v))).to.equal(7)
    })
  })

  describe('a community plugin that calls ctx.users inside ctx.db.transaction', function () {
    let host: TestHost

    before(async () => {
      host = await startTestHost({ plugins: { 'nested-call': { enabled: true, source: NESTED } } })
    })
    after(async () => { await host?.stop() })

    it(onPostgres ? 'works on PostgreSQL, which has a second connection' : 'gets a 500 naming the fix, and the process keeps serving', async () => {
      const { client, user } = await host.signedIn()
      const logged = await logDuring(host.app.log, 'error', async () => {
        const inside = await client.get('/nested-call/inside')
        if (onPostgres) {
          expect(inside.status).to.equal(200)
          expect(JSON.parse(inside.text)).to.deep.equal({ name: user.name })
        } else {
          expect(inside.status).to.equal(500)
          expect(inside.text).not.to.include('one connection')
        }
      })
      if (!onPostgres) {
        const messages = logged.map((l) => String(l.message)).join('\n')
        expect(messages).to.include('GET /nested-call/inside failed').and.include('one connection')
        expect(messages).not.to.include('Timeout acquiring')
      }
      const before = await client.get('/nested-call/before')
      expect(before.status).to.equal(200)
      expect(JSON.parse(before.text)).to.deep.equal({ name: user.name, seen: 1 })
    })
  })
})
