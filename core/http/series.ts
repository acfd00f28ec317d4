// Middlewares run one after another as one layer of the app. Express's router does the
// same for each layer it holds, but with a path match, URL bookkeeping and a promise
// check per layer: for the ten that every signed-in request passes (cookies, session,
// CSRF, limits…) that was a measurable share of a page.
import type { RequestHandler } from 'express'

/** Errors, thrown or rejected, go to the app's error handler as Express 5 sends them. */
export function series(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, done) => {
    let index = 0
    const next = (error?: unknown): void => {
      if (error) return done(error)
      const handler = handlers[index++]
      if (!handler) return done()
      try {
        const result = handler(req, res, next) as unknown
        if (result instanceof Promise) result.catch((rejected: unknown) => done(rejected ?? new Error('A middleware rejected without a reason')))
      } catch (thrown) {
        done(thrown)
      }
    }
    next()
  }
}
