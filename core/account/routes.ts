// PLACEHOLDER (being written by a helper): the account pages.
import express, { type RequestHandler, type Router } from 'express'
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
}

export function accountRoutes(_deps: AccountDeps): Router {
  return express.Router()
}
