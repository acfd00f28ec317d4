// Admin-triggered password resets: a one-time link (hashed in verification_tokens,
// one hour, single use) that the admin passes on. With SMTP configured later, the
// same token is what gets mailed.
import type { Knex } from 'knex'
import { issueCode } from './one-time-codes.ts'

export const RESET_LIFETIME_MS = 3600_000
export const resetIdentifier = (userId: string) => `reset:${userId}`

/** Returns the path of the link (/reset/<token>); any earlier link for the user stops working. */
export async function issuePasswordReset(db: Knex, userId: string): Promise<string> {
  const token = await issueCode(db, resetIdentifier(userId), RESET_LIFETIME_MS)
  return `/reset/${token}`
}
