// Closing the database: a connection asked for while the pool shuts down is refused at
// once, not left waiting 8 s on a timer that holds the process open.
import { expect } from 'chai'
import { Pool } from 'tarn'
import { destroyPool } from '../../core/db.ts'

describe('database close: a late connection request', () => {
  it('is refused at once when it comes after tarn aborted the waiting ones, which tarn would forget', async () => {
    let late: Promise<unknown> | null = null
    // The free connection's destroy runs after tarn's abort step and before it clears its
    // queue: a request there is the one tarn neither serves nor aborts.
    const pool = new Pool({
      create: async () => ({}),
      destroy: () => { late ??= pool.acquire().promise.catch((e: Error) => e) },
      min: 0, max: 1, acquireTimeoutMillis: 8000,
    })
    pool.release(await pool.acquire().promise)
    await destroyPool({ client: { pool }, destroy: async () => { await pool.destroy() } })
    expect(late, 'the request was made during destroy').to.not.equal(null)
    // A TimeoutError after 8 s would be the request left waiting.
    expect(((await late!) as Error).message).to.equal('aborted')
    expect(pool.numPendingAcquires()).to.equal(0)
  })

  it('refuses a request made while destroy waits for a connection in use', async () => {
    const pool = new Pool({ create: async () => ({}), destroy: () => undefined, min: 0, max: 2, acquireTimeoutMillis: 8000 })
    const held = await pool.acquire().promise
    const closing = destroyPool({ client: { pool }, destroy: async () => { await pool.destroy() } })
    const outcome = await pool.acquire().promise.catch((e: Error) => e)
    expect((outcome as Error).message).to.equal('aborted')
    pool.release(held)
    await closing
  })
})
