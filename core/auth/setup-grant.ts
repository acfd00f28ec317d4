// Owner-first setup by a sign-in plugin ("Sign in with Plex as the server owner"): the
// setup code is checked on /setup, and this browser then holds a signed grant naming
// that code, for half an hour. The plugin's sign-in makes its user the first admin only
// with a live grant, and doing so uses the code up in the same transaction. Without the
// code, signing in makes nobody an admin, whatever the provider says about them.
import type { Request, Response } from 'express'
import type { Knex } from 'knex'
import { clock } from '../clock.ts'
import { hashToken } from './tokens.ts'
import { clearSignedCookie, readSignedCookie, setSignedCookie, type SignedCookies } from './signed-cookie.ts'

const NAME = 'mn_setup_grant'
const LIFETIME_MS = 30 * 60_000
export const SETUP_IDENTIFIER = 'setup'

export function grantSetup(res: Response, c: SignedCookies, code: string): void {
  setSignedCookie(res, c, NAME, hashToken(code), LIFETIME_MS)
}

/**
 * The stored hash of the setup code this browser's grant names, while that code is
 * still unused and unexpired and no active admin exists; else null.
 */
export async function liveSetupGrant(db: Knex, req: Request, c: SignedCookies): Promise<string | null> {
  const codeHash = readSignedCookie(req, c, NAME)
  if (!codeHash) return null
  const code = await db('verification_tokens')
    .where({ identifier: SETUP_IDENTIFIER, token: codeHash }).andWhere('expires', '>', clock.now()).first('token')
  if (!code) return null
  const admin = await db('users').where({ role: 'ADMIN', status: 'active' }).first('id')
  return admin ? null : codeHash
}

/** Uses the code up; false when another request used it first. */
export async function consumeSetupGrant(trx: Knex.Transaction, codeHash: string): Promise<boolean> {
  return Number(await trx('verification_tokens').where({ identifier: SETUP_IDENTIFIER, token: codeHash }).del()) === 1
}

export function clearSetupGrant(res: Response, c: SignedCookies): void {
  clearSignedCookie(res, c, NAME)
}
