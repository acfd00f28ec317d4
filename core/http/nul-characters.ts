// PostgreSQL refuses a NUL character in text (22021), so one in a form field, a query
// or a path segment used to reach the database and come back as a 500. Refused here,
// once, for the core and every plugin: no page has a use for one.
import type { RequestHandler } from 'express'
import { HttpError } from '../plugin-api.ts'

export class NulCharacter extends HttpError {
  constructor(where: string) {
    super(400, `The ${where} contains a NUL character, which MediaNest does not accept. Remove it and try again.`)
  }
}

const MAX_DEPTH = 32

function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return false
  if (Array.isArray(value)) return value.some((v) => holdsNul(v, depth + 1))
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || holdsNul(v, depth + 1))
}

/** After the body parsers. The URL is checked raw: a NUL there is always written %00. */
export const refuseNulCharacters: RequestHandler = (req, _res, next) => {
  if (req.originalUrl.includes('%00')) return next(new NulCharacter('address'))
  if (holdsNul(req.body)) return next(new NulCharacter('form'))
  next()
}
