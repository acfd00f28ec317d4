// The core's services, made once at boot (core/server.ts) and handed to the app, the
// plugin host and each plugin's context: what the core has, as one typed bag.
import type { RequestHandler } from 'express'
import type { Logger } from 'winston'
import type { Config } from './config.ts'
import type { Database } from './db.ts'
import type { EventBus } from './events.ts'
import type { JobQueue } from './jobs/queue.ts'
import type { LiveHub } from './live.ts'
import type { ViewerCaches } from './viewer-cache.ts'
import type { ViewEngine } from './views.ts'
import type { EventTypes } from './event-types.ts'
import type { SessionDeps } from './auth/start-session.ts'
import type { Mail, Secrets, Services, Users } from './plugin-api.ts'

export interface CoreServices {
  config: Config
  db: Database
  log: Logger
  views: ViewEngine
  queue: JobQueue
  bus: EventBus
  live: LiveHub
  viewerCaches: ViewerCaches
  secrets: Secrets
  /** Without save(): that one is per plugin (its own service types). */
  services: Omit<Services, 'save'>
  users: Users
  mail: Mail
  eventTypes: EventTypes
  /** What starting a session needs (cookie policy, lifetimes), for ctx.identity. */
  session: SessionDeps
  guards: { requireUser: RequestHandler; requireAdmin: RequestHandler }
  /** Filled as plugins register, in dependency order. */
  provided: Map<string, { owner: string; impl: unknown }>
}
