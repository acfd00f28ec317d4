// What the admin pages are given: kept apart from routes.ts, which imports every page,
// so no page imports routes.ts back.
import type { RequestHandler } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import type { ViewEngine } from '../views.ts'
import type { PluginHost } from '../plugins/host.ts'
import type { Secrets } from '../plugin-api.ts'
import type { CookiePolicy } from '../auth/cookies.ts'
import type { Emit } from '../lifecycle-events.ts'
import type { SetupGuide } from '../setup-guide.ts'

export interface AdminDeps {
  /** Whether a `mail` section is configured: the overview says what mail did, or that none is sent. */
  mailConfigured: boolean
  db: Knex
  views: ViewEngine
  log: Logger
  host: PluginHost
  secrets: Secrets
  requireAdmin: RequestHandler
  publicUrl?: string
  cookies: CookiePolicy
  /** The core's event bus, for its lifecycle facts (core.user.*, core.service.updated). */
  emit: Emit
  guide: SetupGuide
  /** The site's zone (config timeZone, else the server's): dates for a reader who chose none. */
  siteTimeZone: string
}
