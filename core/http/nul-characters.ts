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

/** Whether any key or string in a parsed body holds U+0000, however deep: iterative, so no nesting overflows it. */
export function holdsNul(value: unknown): boolean {
  const stack: unknown[] = [value]
  while (stack.length) {
    const v = stack.pop()
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item)
    } else if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        if (k.includes('\u0000')) return true
        stack.push(inner)
      }
    }
  }
  return false
}

/** After the body parsers. The URL is checked raw: a NUL there is always written %00. */
export const refuseNulCharacters: RequestHandler = (req, _res, next) => {
  if (req.originalUrl.includes('%00')) return next(new NulCharacter('address'))
  if (holdsNul(req.body)) return next(new NulCharacter('form'))
  next()
}
