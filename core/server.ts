// config -> plugins validated -> db -> migrate -> register -> mount -> start -> listen;
// SIGTERM/SIGINT run the same steps backwards. `startMediaNest` is also what tests boot.
import type http from 'node:http'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import type { PGlite } from '@electric-sql/pglite'
import type { Logger } from 'winston'
import { ConfigError, durationMs, loadConfig, type Config } from './config.ts'
import { createLogger } from './log.ts'
import { openDatabase, type Database } from './db.ts'
import { migrateLatest, migrationsDone } from './migrations.ts'
import { PluginHost } from './plugins/host.ts'
import type { CoreServices } from './core-services.ts'
import { ViewEngine } from './views.ts'
import { JobQueue } from './jobs/queue.ts'
import { Scheduler } from './jobs/schedules.ts'
import { EventBus } from './events.ts'
import { LiveHub } from './live.ts'
import { ViewerCaches } from './viewer-cache.ts'
import { createSecrets, deriveKey, loadKeyRing } from './secrets.ts'
import { createServices } from './services/plugin-services.ts'
import { createUsers } from './users-directory.ts'
import { MailService } from './mail.ts'
import { EventTypes } from './event-types.ts'
import { requireAdmin, requireUser } from './auth/guards.ts'
import { createCsrf } from './http/csrf.ts'
import { SessionCache } from './auth/session-cache.ts'
import { currentViewer } from './auth/current-viewer.ts'
import { createApp } from './app.ts'
import { createHttpServer } from './http/http-server.ts'
import { PluginConfigError } from './plugin-api.ts'
import { coreSchedules } from './core-schedules.ts'
import { ErrorRecorder } from './http/error-recorder.ts'
import { accountsFeature } from './accounts.ts'

/**
 * Shares of shutdownTimeout: in-flight requests may run until half of it is spent, jobs
 * until 70 %, and handlers aborted then may finish their writes until 85 %; plugins'
 * stop() (their child processes) has the rest.
 */
const REQUESTS_SHARE = 0.5
const JOBS_SHARE = 0.7
const ABORTED_SHARE = 0.85
/** A second SIGINT/SIGTERM this soon after the first is the same request, not "force quit". */
const REPEATED_SIGNAL_MS = 1500

export interface StartOptions {
  config: Config
  log?: Logger
  /** An open PGlite to use (tests), left open at stop; otherwise one is opened under dataDir. */
  pglite?: PGlite
  firstPartyDir?: string
  /** Defaults to true; false builds everything but does not listen (CLI). */
  listen?: boolean
  /** Tests: shorter waits between a job's attempts and between looks for due work. */
  timing?: StartTiming
}

export interface StartTiming {
  /** Delay before retry number `attempt + 1` (default: 2^attempt s, capped, with jitter). */
  jobBackoffMs?: (attempt: number) => number
  /** How often the job queue looks for due jobs besides NOTIFY wake-ups (default 1 s). */
  jobPollMs?: number
  /** How often cluster schedules are checked (default 1 s). */
  scheduleTickMs?: number
}

export interface MediaNest {
  config: Config
  log: Logger
  db: Database
  host: PluginHost
  core: CoreServices
  scheduler: Scheduler
  /** What reaches error_logs; tests flush its summaries. */
  errorRecorder: ErrorRecorder
  server: http.Server | null
  url: string
  app: ReturnType<typeof createApp>
  stop(): Promise<void>
}

export async function startMediaNest(options: StartOptions): Promise<MediaNest> {
  const { config } = options
  const log = options.log ?? createLogger(config.logLevel)
  const bootStarted = performance.now()
  const step = (name: string, since: number) => log.debug(`boot: ${name} in ${Math.round(performance.now() - since)} ms`)

  let t = performance.now()
  const host = await PluginHost.prepare(config, log, { firstPartyDir: options.firstPartyDir })
  step('plugins validated', t)

  t = performance.now()
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log, pglite: options.pglite })
  step(`database opened (${db.kind})`, t)
  const stoppers: Array<() => Promise<void>> = [() => db.close()]
  // One budget for the whole stop, not one per step: Docker sends SIGKILL 10 s after
  // SIGTERM. Each step that waits (requests, jobs) waits only until its share is spent.
  const budgetMs = durationMs(config.shutdownTimeout)
  let unwindStarted = 0
  const msUntil = (share: number) => Math.max(0, unwindStarted + budgetMs * share - performance.now())
  const unwind = async () => {
    unwindStarted ||= performance.now()
    for (const fn of stoppers.reverse()) await fn().catch(() => undefined)
  }

  try {
    t = performance.now()
    const sets = host.migrationSets()
    const reports = await migrateLatest(db, sets)
    for (const r of reports) if (r.applied.length) log.info(`migrated ${r.owner}: ${r.applied.join(', ')}`)
    step('migrations', t)

    const ring = loadKeyRing({ secret: config.secret, dataDir: config.dataDir })
    const secrets = createSecrets(ring)
    const workerId = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`
    const views = new ViewEngine()
    const timing = options.timing ?? {}
    const queue = new JobQueue({ db, log: log.child({ plugin: 'core' }), workerId, backoffMs: timing.jobBackoffMs, pollMs: timing.jobPollMs })
    const scheduler = new Scheduler({ db, log: log.child({ plugin: 'core' }), workerId, tickMs: timing.scheduleTickMs })
    const bus = new EventBus({ db, log: log.child({ plugin: 'core' }), queue })
    const live = new LiveHub({
      db, log: log.child({ plugin: 'core' }),
      recheck: (viewer, apiTokenId) => currentViewer(db.knex, viewer, apiTokenId),
      maxStreams: config.live.maxStreams,
      maxStreamsPerUser: config.live.maxStreamsPerUser,
      maxAnonymousStreams: config.live.maxAnonymousStreams,
      maxAnonymousStreamsPerAddress: config.live.maxAnonymousStreamsPerAddress,
    })
    const mail = new MailService({ config, db: db.knex, queue, log: log.child({ plugin: 'core' }) })
    mail.install()
    stoppers.push(async () => mail.close())
    const cookies = { secure: config.publicUrl?.startsWith('https:') ?? false }
    const sessionPolicy = { idleMs: durationMs(config.sessions.idle), absoluteMs: durationMs(config.sessions.absolute) }
    const core: CoreServices = {
      config, db, log, views, queue, bus, live, secrets,
      viewerCaches: new ViewerCaches(db, log.child({ plugin: 'core' })),
      services: createServices(db.knex, secrets, () => host.serviceTypes()),
      users: createUsers(db.knex),
      mail,
      eventTypes: new EventTypes(log.child({ plugin: 'core' }), () => host.eventTypes()),
      session: { db: db.knex, cookies, sessionPolicy, signed: { policy: cookies, key: deriveKey(ring, 'signed-cookies') } },
      guards: { requireUser, requireAdmin },
      provided: new Map(),
    }

    t = performance.now()
    host.register(core)
    step('plugins registered', t)

    const csrf = createCsrf({ key: deriveKey(ring, 'csrf'), cookies, publicUrl: config.publicUrl })
    const sessionCache = new SessionCache()
    const errorRecorder = new ErrorRecorder(db.knex, log.child({ plugin: 'core' }), {
      serverErrorsPerMinute: config.errorLog.serverErrorsPerMinute,
      summaryWindowMs: durationMs(config.errorLog.summaryWindow),
    })
    const detachCache = await sessionCache.attach(db)
    stoppers.push(detachCache)
    stoppers.push(await core.viewerCaches.attach())
    let migrated = false
    const accounts = await accountsFeature({ config, core, host, log, cookies, sessionPolicy })
    stoppers.push(() => accounts.stop())
    const app = createApp({
      config, log, core, host, csrf, cookies, sessionPolicy, sessionCache,
      coreRoutes: accounts.routes,
      setupGuide: accounts.guide,
      authenticatedLimit: accounts.authenticatedLimit,
      errorRecorder,
      ready: async () => {
        await db.knex.raw('select 1')
        // Migrations only run at boot: once seen done, they stay done for this process.
        migrated ||= await migrationsDone(db, sets)
        // Without the LISTEN connection, live updates and session revocations stall.
        return { ok: migrated && db.listening(), detail: { database: db.kind, migrations: migrated ? 'done' : 'pending' } }
      },
    })

    t = performance.now()
    stoppers.push(() => host.stop())
    await host.start(core)
    step('plugins started', t)

    bus.install()
    // Stopped after the server closes (stoppers run backwards), so the last summaries are written.
    errorRecorder.start()
    stoppers.push(() => errorRecorder.stop())
    const errorLog = { retentionMs: durationMs(config.errorLog.retention), maxRows: config.errorLog.maxRows }
    for (const s of coreSchedules({ db: db.knex, live, errorLog, extra: accounts.schedules })) scheduler.add(`core.${s.id}`, s, log.child({ plugin: 'core' }))
    for (const s of host.schedules()) scheduler.add(`${s.plugin}.${s.def.id}`, s.def, s.log)
    await live.start()
    stoppers.push(() => live.stop())
    queue.start()
    stoppers.push(() => queue.stop(msUntil(JOBS_SHARE), () => msUntil(ABORTED_SHARE)))
    scheduler.start()
    stoppers.push(() => scheduler.stop(msUntil(JOBS_SHARE), () => msUntil(ABORTED_SHARE)))

    let server: http.Server | null = null
    let url = ''
    if (options.listen !== false) {
      const httpServer = createHttpServer(app, { requestTimeout: 60_000, headersTimeout: 20_000, keepAliveTimeout: 5_000 })
      server = httpServer.server
      server.maxHeadersCount = 100
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject)
        server!.listen(config.port, config.host, () => { server!.off('error', reject); resolve() })
      })
      const address = server.address() as AddressInfo
      url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address}:${address.port}`
      // Runs first, and its first line synchronously within stop(): nothing new is served
      // from that moment. Live streams end next (each would hold its connection until the
      // deadline), then in-flight requests get until their share of the budget. live.stop()
      // is idempotent: its own stopper, later in the unwind, then has nothing left to do.
      stoppers.push(async () => {
        httpServer.beginClose()
        await live.stop()
        await httpServer.close(msUntil(REQUESTS_SHARE))
      })
    }
    log.info(`MediaNest ready in ${Math.round(performance.now() - bootStarted)} ms on ${db.kind}${url ? ` at ${config.publicUrl ?? url}` : ''} (pid ${process.pid})`)

    let stopping: Promise<void> | null = null
    return {
      config, log, db, host, core, scheduler, errorRecorder, server, url, app,
      stop() {
        stopping ??= (async () => {
          log.info('MediaNest is shutting down')
          await unwind()
          log.info('MediaNest stopped')
        })()
        return stopping
      },
    }
  } catch (error) {
    await unwind()
    throw error
  }
}

async function main(): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
  const log = createLogger(config.logLevel)
  // Handlers go in before the boot, so a signal during start-up still shuts down cleanly.
  let app: MediaNest | null = null
  let requested: string | null = null
  let requestedAt = 0
  const shutdown = (signal: string) => {
    if (requested) {
      // Ctrl-C reaches npm and node together, and npm forwards it again; a signal to a
      // process group reaches each process in it: duplicates arrive within milliseconds.
      // Only a deliberate second request, later, means "stop waiting".
      if (performance.now() - requestedAt < REPEATED_SIGNAL_MS) {
        log.debug(`${signal} again, ${Math.round(performance.now() - requestedAt)} ms after the first: the same request`)
        return
      }
      log.warn(`${signal} again: exiting now`)
      process.exit(1)
    }
    requested = signal
    requestedAt = performance.now()
    log.info(`${signal} received`)
    // The last resort: whatever still hangs when the budget is spent does not hold the
    // process until the container's SIGKILL.
    const budget = durationMs(config.shutdownTimeout)
    setTimeout(() => {
      log.error(`shutdown did not finish within ${config.shutdownTimeout}; exiting now`)
      process.exit(1)
    }, budget).unref()
    if (!app) return // the boot finishes first, then stops
    app.stop().then(() => process.exit(0), (error: Error) => {
      log.error(`shutdown failed: ${error.message}`)
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
  try {
    app = await startMediaNest({ config, log })
  } catch (error) {
    if (error instanceof PluginConfigError) {
      log.error(`MediaNest cannot start; fix these plugin problems:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`)
    } else {
      log.error(`MediaNest could not start: ${(error as Error).message}`)
    }
    process.exit(1)
  }
  if (requested) {
    requested = null
    shutdown('a signal during start-up')
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main()
}
