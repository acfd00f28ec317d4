// series(): the app's middlewares run as one layer; what Express 5 would do with a
// throw, a rejection or a handler that answers without calling next, it still does.
import { expect } from 'chai'
import type { Request, RequestHandler, Response } from 'express'
import { series } from '../../core/http/series.ts'

const run = (handler: RequestHandler) => new Promise<unknown>((resolve) => {
  handler({} as Request, {} as Response, (error?: unknown) => resolve(error ?? 'done'))
})

describe('series: middlewares as one layer', () => {
  it('runs them in order and then goes on', async () => {
    const seen: number[] = []
    const step = (n: number): RequestHandler => (_req, _res, next) => { seen.push(n); next() }
    const asyncStep = (n: number): RequestHandler => async (_req, _res, next) => { await Promise.resolve(); seen.push(n); next() }
    expect(await run(series(step(1), asyncStep(2), step(3)))).to.equal('done')
    expect(seen).to.deep.equal([1, 2, 3])
  })

  it('hands a throw, a rejection and next(error) to the error handler, and runs nothing after', async () => {
    let after = 0
    const later: RequestHandler = (_req, _res, next) => { after += 1; next() }
    const thrown = new Error('thrown')
    const rejected = new Error('rejected')
    const passed = new Error('passed')
    expect(await run(series(() => { throw thrown }, later))).to.equal(thrown)
    expect(await run(series(async () => { throw rejected }, later))).to.equal(rejected)
    expect(await run(series((_req, _res, next) => next(passed), later))).to.equal(passed)
    expect(after).to.equal(0)
  })

  it('stops where a middleware answers without calling next', async () => {
    let reached = false
    const answered = new Promise<string>((resolve) => {
      series(() => resolve('answered'), () => { reached = true })({} as Request, {} as Response, () => resolve('went on'))
    })
    expect(await answered).to.equal('answered')
    expect(reached).to.equal(false)
  })
})
