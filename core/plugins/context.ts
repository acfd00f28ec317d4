// Builds the one context object each plugin receives. Everything is scoped to the
// plugin: its config slice, its logger label, its job and event prefixes, and only
// the services of the plugins it declared in dependsOn.
import path from 'node:path'
import express from 'express'
import type { Knex } from 'knex'
import type { LiveHub } from '../live.ts'
import {
  BadInput, Unauthorized,
  type EmitOptions, type EnqueueOptions, type HttpTools, type JobDefinition, type PluginContext,
  type ServiceRef, type ServiceSave, type Viewer, type ViewerCacheOptions,
} from '../plugin-api.ts'
import { createIdentity } from '../identity.ts'
import { clock } from '../clock.ts'
import { saveOwnedService } from '../services/plugin-save.ts'
import { sendTo } from '../auth/start-session.ts'
import { safeNext } from '../auth/next-target.ts'
import type { CookiePolicy } from '../auth/cookies.ts'
import { setFlash, takeFlash } from '../http/flash.ts'
import { createUpstreamClient } from '../upstream.ts'
import { readerZone, viewerOf } from '../http/request-context.ts'
import { parseInput } from '../http/parse-input.ts'
import { formatInZone, siteTimeZone } from '../time-zones.ts'
import { claimSubmission, newFormToken, releaseSubmission } from '../http/one-time-forms.ts'
import type { Request } from 'express'
import type { CoreServices } from '../core-services.ts'



function mustViewerOf(req: Request): Viewer {
  const viewer = viewerOf(req)
  if (!viewer) throw new Unauthorized()
  return viewer
}

/** A local path at publicUrl; null without one or for anything else ('//host', 'https://…'). */
export function absoluteUrl(publicUrl: string | undefined, path: string): string | null {
  if (!publicUrl || typeof path !== 'string' || !/^\/(?![/\\])/.test(path)) return null
  return new URL(path, publicUrl).toString()
}

const isHtmx = (req: Request) => req.get('HX-Request') === 'true'

export const httpTools = (guards: CoreServices['guards'], cookies: CookiePolicy, plugin: string, publicUrl: string | undefined, db: Knex, siteZone: string): HttpTools => {
  // No request (a live push, a job, a message stored for later): the site's zone, named on
  // every style, so the date reads right for anyone (public/local-times.js then moves a
  // pushed one into each reader's zone).
  const zoneOf = (req: Request | null) => (req ? readerZone(req, siteZone) : siteZone)
  return {
  router: () => express.Router(),
  requireUser: guards.requireUser,
  requireAdmin: guards.requireAdmin,
  viewer: viewerOf,
  mustViewer: mustViewerOf,
  parse: parseInput,
  flash: (res, key) => setFlash(res, cookies, `plugin:${plugin}`, key),
  takeFlash: (req, res, notices) => takeFlash(req, res, cookies, `plugin:${plugin}`, notices),
  sendTo: (req, res, target) => sendTo(req, res, safeNext(target)),
  async done(req, res, { to, notice, inPlace }) {
    if (inPlace && isHtmx(req)) {
      await inPlace()
      return
    }
    if (notice) setFlash(res, cookies, `plugin:${plugin}`, notice)
    sendTo(req, res, safeNext(to))
  },
  absoluteUrl: (path) => absoluteUrl(publicUrl, path),
  isHtmx,
  timeZone: (req) => zoneOf(req),
  formatDate: (req, date, style) => formatInZone(date, zoneOf(req), style, !req),
  formToken: newFormToken,
  // The form's name is the plugin's own: two plugins' "add" forms never share tokens.
  claimForm: (req, form) => claimSubmission(db, mustViewerOf(req).id, `${plugin}:${form}`, req.body),
  releaseForm: (req, form) => releaseSubmission(db, mustViewerOf(req).id, `${plugin}:${form}`, req.body),
  validate(schema, value) {
    try {
      return { ok: true, data: parseInput(schema, value) }
    } catch (error) {
      if (!(error instanceof BadInput)) throw error
      return { ok: false, message: 'Please correct the fields below.', fields: error.fields }
    }
  },
  }
}

export function createPluginContext(options: {
  core: CoreServices
  name: string
  version: string
  dir: string
  config: unknown
  dependsOn: string[]
  onStop: (fn: () => Promise<void> | void) => void
  /** The jobs register() declared (read at enqueue time: register runs after the context is made). */
  declaredJobs: () => JobDefinition[]
  /** The sign-in providers register() declared, likewise. */
  identityProviders: () => string[]
}): PluginContext<any> {
  const { core, name } = options
  const log = core.log.child({ plugin: name })
  const allowed = new Set([name, ...options.dependsOn])
  return Object.freeze({
    plugin: Object.freeze({ name, version: options.version, dir: options.dir }),
    dataDir: path.resolve(core.config.dataDir, 'plugins', name),
    config: deepFreeze(options.config) as Record<string, unknown>,
    log,
    db: core.db.knex,
    views: core.views.forPlugin(),
    http: httpTools(core.guards, core.session.cookies, name, core.config.publicUrl, core.db.knex, siteTimeZone(core.config)),
    jobs: {
      // A job nobody declared would sit 'queued' forever, and a payload its schema refuses
      // would fail only when run: both are refused here, while the caller can still answer.
      async enqueue(job: string, payload: unknown, opts?: EnqueueOptions) {
        const def = options.declaredJobs().find((j) => j.name === job)
        if (!def) throw new Error(`plugin "${name}" enqueued the job "${job}", which its register() does not declare in jobs`)
        if (def.payload) {
          const checked = def.payload.safeParse(payload)
          if (!checked.success) {
            const why = checked.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ')
            throw new BadInput(`The job "${name}.${job}" cannot take this payload: ${why}`)
          }
        }
        return core.queue.enqueue(`${name}.${job}`, payload, opts)
      },
      cancel: (jobId: string) => core.queue.cancel(jobId),
    },
    events: {
      async emit(event: string, payload: Record<string, unknown>, opts?: EmitOptions) {
        if (!event.startsWith(`${name}.`)) {
          throw new Error(`plugin "${name}" may only emit its own events ('${name}.<noun>.<past-verb>'), not "${event}"`)
        }
        await core.bus.emit(event, payload, opts)
      },
      types: () => core.eventTypes.types(),
      describe: (event: string, payload: Record<string, unknown>) => core.eventTypes.describe(event, payload),
    },
    live: { publish: (event: string, html: string, audience: Parameters<LiveHub['publish']>[2]) => core.live.publish(event, html, audience) },
    upstream: (opts: Parameters<typeof createUpstreamClient>[0]) => createUpstreamClient(opts, log),
    secrets: core.secrets,
    services: {
      ...core.services,
      async save(serviceName: string, input: ServiceSave, opts: { actorId?: string | null } = {}) {
        const owned = core.services.types().filter((t) => t.plugin === name).map((t) => t.name)
        const type = input.type ?? serviceName
        if (!owned.includes(type)) {
          throw new Error(`plugin "${name}" may only save services of the types it owns (${owned.join(', ') || 'none'}), not "${type}"`)
        }
        await saveOwnedService({ db: core.db.knex, secrets: core.secrets, emit: (e, p, o) => core.bus.emit(e, p, o) }, serviceName, type, input, opts.actorId ?? null)
        return (await core.services.get(serviceName))!
      },
    },
    users: core.users,
    mail: core.mail,
    identity: createIdentity({
      db: core.db.knex, secrets: core.secrets, users: core.users, log, session: core.session, plugin: name,
      emit: (event, payload, opts) => core.bus.emit(event, payload, opts),
      providers: options.identityProviders,
    }),
    clock: { now: clock.now, nowMs: clock.nowMs, sleep: clock.sleep },
    // A transaction-scoped advisory lock: released at commit or rollback, even by a crash.
    async lock(trx: Knex.Transaction, key: string) {
      if (typeof key !== 'string' || key.length === 0 || key.length > 500) throw new RangeError(`ctx.lock takes a key of 1 to 500 characters, not ${JSON.stringify(key)?.slice(0, 40)}`)
      await trx.raw('select pg_advisory_xact_lock(hashtext(?), hashtext(?))', [`plugin:${name}`, key])
    },
    viewerCache: <T>(cacheName: string, cacheOptions: ViewerCacheOptions<T>) => core.viewerCaches.create<T>(`${name}:${cacheName}`, cacheOptions),
    use<T>(ref: ServiceRef<T>): T {
      const owner = ref.id.split('.')[0]
      if (!allowed.has(owner)) {
        throw new Error(`plugin "${name}" uses "${ref.id}" but does not list "${owner}" in dependsOn`)
      }
      const found = core.provided.get(ref.id)
      if (!found) throw new Error(`no plugin provides "${ref.id}" (is "${owner}" enabled, and does it provide it?)`)
      return found.impl as T
    },
    onStop: options.onStop,
  })
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
