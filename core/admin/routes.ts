// PLACEHOLDER (being written by a helper): the admin area.
import express, { type RequestHandler, type Router } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import type { ViewEngine } from '../views.ts'
import type { PluginHost } from '../plugins/host.ts'
import type { Secrets } from '../plugin-api.ts'

export interface AdminDeps {
  db: Knex
  views: ViewEngine
  log: Logger
  host: PluginHost
  secrets: Secrets
  requireAdmin: RequestHandler
  publicUrl?: string
}

export function adminRoutes(_deps: AdminDeps): Router {
  return express.Router()
}
