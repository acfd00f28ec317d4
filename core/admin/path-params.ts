// Ids taken from the path. A malformed id names nothing, so it is a 404 (not a
// database error turned 500).
import type { Request } from 'express'
import { NotFound } from '../plugin-api.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAX_SERIAL = 2_147_483_647

export function uuidParam(req: Request, what: string, name = 'id'): string {
  const value = String(req.params[name] ?? '')
  if (!UUID.test(value)) throw new NotFound(`There is no such ${what}.`)
  return value.toLowerCase()
}

/** An identity-integer id (service_configs). */
export function serialParam(req: Request, what: string, name = 'id'): number {
  const value = String(req.params[name] ?? '')
  const n = /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : NaN
  if (!(n <= MAX_SERIAL)) throw new NotFound(`There is no such ${what}.`)
  return n
}
