// The first admin, with no default credentials: either from MEDIANEST_ADMIN_EMAIL +
// MEDIANEST_ADMIN_PASSWORD (unattended installs; must change it at first sign-in), or
// through /setup with a one-time code printed in the server log.
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import type { Config } from '../config.ts'
import { audit } from './audit.ts'
import { issueCode, readableCode } from './one-time-codes.ts'
import { hashPassword, initialAdminPasswordProblem } from './passwords.ts'
import { adminExists, normalizeEmail } from './users.ts'

const SETUP_CODE_LIFETIME_MS = 24 * 3600_000

export async function bootstrapFirstAdmin(db: Knex, config: Config, log: Logger): Promise<{ setupCode: string | null }> {
  if (await adminExists(db)) {
    await db('verification_tokens').where({ identifier: 'setup' }).del()
    return { setupCode: null }
  }
  if (config.bootstrapAdmin) {
    const { email, password } = config.bootstrapAdmin
    // A first password only: it must be changed at the first sign-in (requires_password_change).
    const problem = await initialAdminPasswordProblem(password, email)
    if (problem) throw new Error(`MEDIANEST_ADMIN_PASSWORD is not acceptable: ${problem}`)
    const normalized = normalizeEmail(email)
    const existing = await db('users').where({ email: normalized }).first('id')
    const hash = await hashPassword(password)
    if (existing) {
      await db('users').where({ id: existing.id }).update({ role: 'ADMIN', password_hash: hash, requires_password_change: true, status: 'active' })
    } else {
      await db('users').insert({ email: normalized, role: 'ADMIN', password_hash: hash, requires_password_change: true })
    }
    audit(log, 'first admin created from the environment', { email: normalized })
    return { setupCode: null }
  }
  const code = await issueCode(db, 'setup', SETUP_CODE_LIFETIME_MS, readableCode())
  log.warn(`No admin exists yet. Open /setup and enter this one-time setup code (valid 24 hours): ${code}`)
  return { setupCode: code }
}
