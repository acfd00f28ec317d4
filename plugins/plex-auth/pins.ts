// The plex_auth_pins table: a PIN belongs to the browser that asked for it. The browser
// keeps a random value in an HttpOnly cookie; we keep only its SHA-256, so neither the
// PIN id (which plex.tv and the address bar may show) nor a database read lets another
// browser finish someone else's sign-in (no login CSRF).
import crypto from 'node:crypto'
import type { Knex, Request, Response } from 'medianest/plugin-api'

export const PIN_COOKIE = 'mn_plex_pin'
const COOKIE_PATH = '/plex-auth'

export interface PinRow {
  id: string
  browser_hash: string
  pin_id: string
  code: string
  next: string
  expires_at: Date
  created_at: Date
}

const hash = (value: string) => crypto.createHash('sha256').update(value).digest('hex')

/** A new PIN for this browser, replacing any earlier one it had; sets the cookie. */
export async function rememberPin(db: Knex, req: Request, res: Response, pin: { id: number; code: string; expiresAt: Date; next: string }, now: Date): Promise<void> {
  const old = browserValue(req)
  if (old) await db('plex_auth_pins').where({ browser_hash: hash(old) }).del()
  const value = crypto.randomBytes(32).toString('base64url')
  await db('plex_auth_pins').insert({
    browser_hash: hash(value), pin_id: pin.id, code: pin.code, next: pin.next, expires_at: pin.expiresAt,
  })
  res.cookie(PIN_COOKIE, value, {
    httpOnly: true, sameSite: 'lax', secure: req.secure, path: COOKIE_PATH,
    maxAge: Math.max(1000, pin.expiresAt.getTime() - now.getTime()),
  })
}

/** This browser's live PIN, or null (no cookie, an unknown one, or expired). */
export async function pinOf(db: Knex, req: Request, now: Date): Promise<PinRow | null> {
  const value = browserValue(req)
  if (!value) return null
  const row = await db<PinRow>('plex_auth_pins').where({ browser_hash: hash(value) }).first()
  return row && row.expires_at > now ? row : null
}

/** Takes the PIN out: true for the one request that gets to finish the sign-in with it. */
export async function claimPin(db: Knex, row: PinRow): Promise<boolean> {
  return Number(await db('plex_auth_pins').where({ id: row.id }).del()) === 1
}

export async function forgetPin(db: Knex, req: Request, res: Response): Promise<void> {
  const value = browserValue(req)
  if (value) await db('plex_auth_pins').where({ browser_hash: hash(value) }).del()
  res.clearCookie(PIN_COOKIE, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: COOKIE_PATH })
}

export async function deleteExpiredPins(db: Knex, now: Date): Promise<number> {
  return Number(await db('plex_auth_pins').where('expires_at', '<', now).del())
}

function browserValue(req: Request): string | null {
  const header = req.get('Cookie') ?? ''
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === PIN_COOKIE) {
      const value = part.slice(eq + 1).trim()
      return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : null
    }
  }
  return null
}
