// Closing the database: a connection asked for during the pool's last steps of shutting
// down is refused at once, not left waiting 8 s on a timer that holds the process open.
import { expect } from 'chai'
import { Pool } from 'tarn'
import { destroyPool } from '../../core/db.ts'

describe('database close: a late connection request', () => {
  it('is refused at once after the pool is destroyed, its timer cleared', async () => {
    const pool = new Pool({ create: async () => ({}), destroy: () => undefined, min: 0, max: 1, acquireTimeoutMillis: 8000 })
    let late: Promise<unknown> | null = null
    // As knex.destroy() does, with a request arriving after tarn aborted the waiting ones.
    const knexLike = { client: { pool }, async destroy() { await pool.destroy(); late = pool.acquire().promise.catch((e: Error) => e) } }
    const began = performance.now()
    await destroyPool(knexLike)
    const outcome = await late!
    expect((outcome as Error).message).to.equal('aborted')
    expect(performance.now() - began).to.be.lessThan(1000)
    expect(pool.numPendingAcquires()).to.equal(0)
  })
})
