// What the account pages are given: kept apart from routes.ts, which imports every page,
// so no page imports routes.ts back.
import type { RequestHandler } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import type { ViewEngine } from '../views.ts'
import type { CookiePolicy } from '../auth/cookies.ts'
import type { SessionPolicy } from '../auth/sessions.ts'

export interface AccountDeps {
  db: Knex
  views: ViewEngine
  log: Logger
  cookies: CookiePolicy
  sessionPolicy: SessionPolicy
  requireUser: RequestHandler
  /** Rate limit for the public /reset form (per IP). */
  resetLimit: RequestHandler
  /** The owner made from MEDIANEST_ADMIN_EMAIL, if any: their forced change is setting up, not an admin's request. */
  bootstrapAdminEmail: string | null
  /** Whether the install mails links (mail and publicUrl configured): the account page offers to confirm the address. */
  mailsLinks: boolean
  /** The site's time zone (config timeZone, else the server's): what a person who chose none reads dates in. */
  siteTimeZone: string
}
