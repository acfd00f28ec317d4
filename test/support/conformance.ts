// The plugin conformance suite: what every plugin, first-party or community, must
// satisfy. `checkPluginConformance` returns the problems (so the suite itself can be
// tested on broken plugins); `describePluginConformance` wraps it for mocha.
//
// A community author runs it on their own plugin, from any folder:
//   npx medianest plugins check ./my-plugin
// or inside their own mocha tests:
//   import { describePluginConformance } from 'medianest/testing'
//   describePluginConformance(new URL('..', import.meta.url).pathname)
import { once } from 'node:events'
import fs from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { expect } from 'chai'
import express, { type Request } from 'express'
import { isPluginDefinition, type PluginDefinition, type Viewer, type Contributions } from '../../core/plugin-api.ts'
import { openDatabase, type Database } from '../../core/db.ts'
import { CORE_MIGRATIONS_DIR, migrateDown, migrateLatest } from '../../core/migrations.ts'
import { createPluginContext } from '../../core/plugins/context.ts'
import type { CoreServices } from '../../core/core-services.ts'
import { pathOf, validateContributions, validatePlugins } from '../../core/plugins/validate.ts'
import { ViewEngine } from '../../core/views.ts'
import { createLogger } from '../../core/log.ts'
import { createSecrets, loadKeyRing } from '../../core/secrets.ts'
import { createServices } from '../../core/services/plugin-services.ts'
import { createUsers } from '../../core/users-directory.ts'
import { ViewerCaches } from '../../core/viewer-cache.ts'
import { MailService } from '../../core/mail.ts'
import { esmScopeHint } from '../../core/plugins/discover.ts'
import { EventTypes } from '../../core/event-types.ts'
import { requireAdmin, requireUser } from '../../core/auth/guards.ts'
import type { PluginHost } from '../../core/plugins/host.ts'
import { bounded } from '../../core/bounded.ts'
import { webhookRoutes } from '../../core/webhooks/routes.ts'
import { ErrorRecorder } from '../../core/http/error-recorder.ts'
import { requestContext, setViewer } from '../../core/http/request-context.ts'
import { checkService } from '../../core/services/checks.ts'
import { freshDatabase } from './test-db.ts'

export interface ConformanceOptions {
  /** The plugin's folder (holding index.ts or index.js). */
  dir: string
  /** Config slice to use instead of `{}` for the widget and lifecycle checks. */
  config?: Record<string, unknown>
  /** First-party plugins must live in a folder named after them. */
  folderMustMatch?: boolean
}

const log = createLogger(process.env.LOG_LEVEL ?? 'error')

async function loadDefinition(dir: string): Promise<PluginDefinition> {
  const file = ['index.ts', 'index.js', 'index.mjs'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f))
  if (!file) throw new Error(`${dir} has no index.ts or index.js`)
  let mod: { default?: unknown }
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown }
  } catch (error) {
    // As the server says it: the first line of the error, and what to do about a module format.
    throw new Error(`${(error as Error).message.split('\n')[0]}${esmScopeHint(file, dir)}`)
  }
  if (!isPluginDefinition(mod.default)) throw new Error(`${file}: the default export is not a definePlugin({...}) result`)
  return mod.default
}

/**
 * The shape of every table the plugin does not own (columns, indexes, constraints,
 * triggers), to catch a migration that alters someone else's table, a core table included.
 */
async function foreignSchema(db: Database, owned: Set<string>): Promise<string[]> {
  const keep = (table: string) => !owned.has(table) && !table.startsWith('knex_migrations')
  const columns: Array<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null }> =
    await db.knex('information_schema.columns').where({ table_schema: 'public' })
      .select('table_name', 'column_name', 'data_type', 'is_nullable', 'column_default')
  const indexes: Array<{ tablename: string; indexdef: string }> = await db.knex('pg_indexes').where({ schemaname: 'public' }).select('tablename', 'indexdef')
  const constraints: Array<{ table_name: string; constraint_name: string; constraint_type: string }> =
    await db.knex('information_schema.table_constraints').where({ table_schema: 'public' }).select('table_name', 'constraint_name', 'constraint_type')
  const triggers: Array<{ event_object_table: string; trigger_name: string }> =
    await db.knex('information_schema.triggers').where({ trigger_schema: 'public' }).select('event_object_table', 'trigger_name')
  return [
    ...columns.filter((c) => keep(c.table_name)).map((c) => `${c.table_name}: column ${c.column_name} ${c.data_type} ${c.is_nullable} ${c.column_default ?? ''}`),
    ...indexes.filter((i) => keep(i.tablename)).map((i) => `${i.tablename}: ${i.indexdef}`),
    ...constraints.filter((c) => keep(c.table_name)).map((c) => `${c.table_name}: ${c.constraint_type} ${c.constraint_name}`),
    ...triggers.filter((t) => keep(t.event_object_table)).map((t) => `${t.event_object_table}: trigger ${t.trigger_name}`),
  ].sort()
}

/** Literal DOM ids in every template of the plugin: each must start with '<name>-'. */
function foreignTemplateIds(viewsDir: string, name: string): string[] {
  const found: string[] = []
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(file)
      else if (entry.name.endsWith('.eta')) {
        for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bid="([^"<]*)/g)) {
          // An id built from an expression is checked by its literal start, if it has one.
          if (m[1] && !m[1].startsWith(`${name}-`)) found.push(`${path.relative(viewsDir, file)}: id="${m[1]}…"`)
        }
      }
    }
  }
  walk(viewsDir)
  return found
}

async function publicTables(db: Database): Promise<Set<string>> {
  const rows = await db.knex('information_schema.tables').where({ table_schema: 'public' }).select('table_name')
  return new Set(rows.map((r: { table_name: string }) => r.table_name))
}

/** Every problem found, as sentences; empty when the plugin conforms. */
export async function checkPluginConformance(options: ConformanceOptions): Promise<string[]> {
  const problems: string[] = []
  let definition: PluginDefinition
  try {
    definition = await loadDefinition(options.dir)
  } catch (error) {
    return [(error as Error).message]
  }
  const name = definition.name
  if ((options.folderMustMatch ?? true) && path.basename(path.resolve(options.dir)) !== name) {
    problems.push(`the plugin is named "${name}" but its folder is "${path.basename(options.dir)}"`)
  }
  const configSlice = options.config ?? {}
  const validated = validatePlugins([{ key: name, definition, dir: options.dir, origin: 'community', enabled: true, entry: { enabled: true, config: configSlice, onStartFailure: 'abort' } }])
  problems.push(...validated.problems.filter((p) => !p.includes('depends on')))
  if (definition.config && !definition.config.safeParse({}).success) {
    problems.push('its config schema does not accept {} (every setting needs a default)')
  }
  if (problems.length) return problems

  const test = await freshDatabase()
  const db = await openDatabase({ databaseUrl: test.databaseUrl, pglite: test.pglite, dataDir: '/nonexistent', log })
  try {
    await migrateLatest(db, [{ owner: 'core', dir: CORE_MIGRATIONS_DIR }])
    const migrationsDir = pathOf(definition.migrations)
    const declared = new Set(definition.tables ?? [])
    if (migrationsDir) {
      const set = { owner: name, dir: migrationsDir }
      const tracking = (t: string) => t.startsWith('knex_migrations__')
      const before = await publicTables(db)
      const othersBefore = await foreignSchema(db, declared)
      await migrateLatest(db, [set])
      // Tables that existed before (the core's); new undeclared ones are reported below.
      const othersAfter = (await foreignSchema(db, declared)).filter((x) => before.has(x.split(':')[0]))
      const altered = [...othersAfter.filter((x) => !othersBefore.includes(x)), ...othersBefore.filter((x) => !othersAfter.includes(x))]
      if (altered.length) {
        const tables = [...new Set(altered.map((x) => x.split(':')[0]))]
        problems.push(`its migrations change tables it does not own: ${tables.join(', ')} (own tables only; ask the owner for what you need)`)
      }
      const created = [...(await publicTables(db))].filter((t) => !before.has(t) && !tracking(t))
      const undeclared = created.filter((t) => !declared.has(t))
      const missing = [...declared].filter((t) => !created.includes(t))
      if (undeclared.length) problems.push(`its migrations create tables it does not declare in "tables": ${undeclared.join(', ')}`)
      if (missing.length) problems.push(`it declares tables its migrations do not create: ${missing.join(', ')}`)
      await migrateDown(db, set, true)
      const left = [...(await publicTables(db))].filter((t) => !before.has(t) && !tracking(t))
      if (left.length) problems.push(`rolling its migrations back leaves tables behind: ${left.join(', ')}`)
      try {
        await migrateLatest(db, [set])
      } catch (error) {
        problems.push(`its migrations do not run again after a rollback (up/down/up): ${(error as Error).message}`)
      }
    } else if (declared.size) {
      problems.push(`it declares tables (${[...declared].join(', ')}) but has no migrations`)
    }
    if (problems.length) return problems

    const recorded: string[] = []
    const views = new ViewEngine()
    const viewsDir = pathOf(definition.views)
    if (viewsDir) views.addNamespace(name, viewsDir)
    const secrets = createSecrets(loadKeyRing({ secret: 'conformance-secret-of-at-least-32-chars', dataDir: '/nonexistent' }))
    const fake = {
      define() {}, async enqueue(job: string) { recorded.push(`job ${job}`); return '00000000-0000-0000-0000-000000000000' },
      async cancel() { return false }, on() {}, async emit(event: string) { recorded.push(`event ${event}`) },
      async publish(event: string) { recorded.push(`live ${event}`) },
    }
    // A data folder of its own, made as the host makes it before start() (ctx.dataDir, 1.8).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-conformance-'))
    const core = {
      config: { dataDir } as CoreServices['config'], db, log, views,
      queue: fake as unknown as CoreServices['queue'], bus: fake as unknown as CoreServices['bus'],
      live: fake as unknown as CoreServices['live'], viewerCaches: new ViewerCaches(db, log), secrets, services: createServices(db.knex, secrets, () => []),
      users: createUsers(db.knex), eventTypes: new EventTypes(log, () => []),
      // No SMTP server in the conformance run: a plugin sees mail as not configured.
      mail: new MailService({ config: { dataDir } as CoreServices['config'], db: db.knex, queue: fake as unknown as CoreServices['queue'], log }),
      session: { db: db.knex, cookies: { secure: false }, sessionPolicy: { idleMs: 3600_000, absoluteMs: 86_400_000 }, signed: { policy: { secure: false }, key: Buffer.alloc(32, 7) } },
      guards: { requireUser, requireAdmin }, provided: new Map(),
    } satisfies CoreServices
    const stopFns: Array<() => unknown> = []
    const parsedConfig = definition.config ? definition.config.parse(configSlice) : {}
    const ctx = createPluginContext({
      core, name, version: definition.version, dir: options.dir, config: parsedConfig,
      dependsOn: definition.dependsOn ?? [], onStop: (fn) => stopFns.push(fn),
      declaredJobs: () => contributions?.jobs ?? [],
      identityProviders: () => contributions?.identityProviders ?? [],
    })
    let contributions: Contributions
    try {
      contributions = definition.register(ctx) ?? {}
    } catch (error) {
      return [`register(ctx) threw: ${(error as Error).message}`]
    }
    problems.push(...validateContributions(name, contributions))

    if (viewsDir) {
      const foreign = foreignTemplateIds(viewsDir, name)
      if (foreign.length) problems.push(`its templates use DOM ids outside its namespace "${name}-": ${foreign.join(', ')}`)
    }
    for (const type of contributions.serviceTypes ?? []) {
      // A health check must end, and must not call a closed port healthy.
      const unreachable = { id: 0, service_name: type.name, service_url: 'http://127.0.0.1:9/', api_key: null, enabled: true, config_data: {}, updated_at: new Date(), updated_by: null }
      const result = await checkService([type], unreachable, secrets, { timeoutMs: 3000 })
      if (result.ok) problems.push(`service type "${type.name}": its test() reports ok for a service that cannot be reached (http://127.0.0.1:9/)`)
    }

    for (const type of contributions.eventTypes ?? []) {
      // describe() may throw for a payload it cannot read (that message is then skipped),
      // but what it returns must be words.
      let described: unknown
      try { described = type.describe({}) } catch { continue }
      const d = described as { title?: unknown; message?: unknown }
      if (typeof d?.title !== 'string' || typeof d?.message !== 'string') {
        problems.push(`event type "${type.event}": describe() must return { title, message } strings`)
      }
    }
    if (contributions.webhooks?.length) problems.push(...(await checkWebhooks(name, contributions, db)))

    const viewer: Viewer = { id: '00000000-0000-4000-8000-000000000001', email: 'conformance@example.com', name: 'Conformance', role: 'ADMIN', image: null, requiresPasswordChange: false, sessionId: null, timeZone: null }
    for (const widget of contributions.widgets ?? []) {
      try {
        const html = await widget.render({ viewer, req: { get: () => undefined, query: {}, params: {} } as unknown as Request })
        if (typeof html !== 'string') problems.push(`widget "${widget.id}" did not render a string`)
        const ids = [...String(html).matchAll(/\bid="([^"]+)"/g)].map((m) => m[1])
        const foreign = ids.filter((id) => !id.startsWith(`${name}-`))
        if (foreign.length) problems.push(`widget "${widget.id}" renders DOM ids outside its namespace "${name}-": ${foreign.join(', ')}`)
      } catch (error) {
        problems.push(`widget "${widget.id}" failed to render: ${(error as Error).message}`)
      }
    }

    for (const warning of contributions.warnings ?? []) {
      // Asked whenever /admin or an admin's /readyz is read: words or null.
      try {
        const answer = await warning.check()
        if (answer !== null && (typeof answer !== 'string' || !answer.trim())) problems.push(`warning "${warning.id}": check() must answer a sentence or null`)
      } catch (error) {
        problems.push(`warning "${warning.id}": check() threw: ${(error as Error).message}`)
      }
    }

    problems.push(...(await checkPagesWithNothingSetUp(name, contributions, viewer)))

    const resources = () => countBy(process.getActiveResourcesInfo())
    const before = resources()
    const limit = 30_000
    const tablesBeforeStart = await publicTables(db)
    try {
      fs.mkdirSync(ctx.dataDir, { recursive: true })
      if (definition.start) await bounded(definition.start(ctx), limit, 'start() did not finish within 30 s')
      const madeAtStart = [...(await publicTables(db))].filter((t) => !tablesBeforeStart.has(t))
      if (madeAtStart.length) problems.push(`start() creates tables outside its migrations: ${madeAtStart.join(', ')}`)
      for (const fn of stopFns.reverse()) await fn()
      if (definition.stop) await bounded(definition.stop(ctx), limit, 'stop() did not finish within 30 s')
    } catch (error) {
      problems.push(`start/stop failed: ${(error as Error).message}`)
    }
    fs.rmSync(dataDir, { recursive: true, force: true })
    await new Promise((r) => setTimeout(r, 50))
    const after = resources()
    const leaked = Object.entries(after).filter(([type, n]) => n > (before[type] ?? 0)).map(([type, n]) => `${n - (before[type] ?? 0)} ${type}`)
    if (leaked.length) problems.push(`start() then stop() leaves open handles behind: ${leaked.join(', ')}`)
    return problems
  } finally {
    await db.close()
    await test.drop()
  }
}

/**
 * Each webhook, called as a stranger would (no proof, nothing configured), must refuse
 * with 401: a secret() that throws, or a path the host cannot serve, shows up here.
 */
async function checkWebhooks(name: string, contributions: Contributions, db: Database): Promise<string[]> {
  const host = {
    plugins: [{ name, state: 'started' }],
    webhooks: () => (contributions.webhooks ?? []).map((w) => ({ ...w, plugin: name })),
  } as unknown as PluginHost
  const app = express()
  app.use(requestContext(log))
  app.use(webhookRoutes({ db: db.knex, host, recorder: new ErrorRecorder(db.knex, log, { serverErrorsPerMinute: 60, summaryWindowMs: 600_000 }) }))
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const problems: string[] = []
  try {
    for (const hook of contributions.webhooks ?? []) {
      const res = await fetch(`http://127.0.0.1:${port}/${name}/hooks/${hook.path}`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })
      if (res.status !== 401) problems.push(`webhook "${hook.id}": a delivery without its secret answered ${res.status}, not 401`)
    }
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  return problems
}

/** The GET paths of a router's own routes that need no parameter ('/', '/requests'). */
function plainGetPaths(router: unknown): string[] {
  const stack = (router as { stack?: Array<{ route?: { path?: unknown; methods?: Record<string, boolean> } }> } | undefined)?.stack ?? []
  return stack.map((layer) => layer.route)
    .filter((route) => route?.methods?.get && typeof route.path === 'string' && !/[:*(]/.test(route.path))
    .map((route) => route!.path as string)
}

/**
 * On an install where nothing is set up yet (no service added, the default config), every
 * page the plugin serves answers a person and an admin with a page: "not set up yet" is a
 * step to take, said in words with who can take it, not an error (a 5xx would also land in
 * the admin's error log as if something were broken).
 */
async function checkPagesWithNothingSetUp(name: string, contributions: Contributions, admin: Viewer): Promise<string[]> {
  const person: Viewer = { ...admin, id: '00000000-0000-4000-8000-000000000002', email: 'person@example.com', role: 'USER' }
  let viewer = person
  const app = express()
  app.use(requestContext(log))
  app.use((req, _res, next) => { setViewer(req, viewer); next() })
  if (contributions.routes) app.use(`/${name}`, contributions.routes)
  if (contributions.adminRoutes) app.use(`/admin/${name}`, contributions.adminRoutes)
  app.use((error: { status?: number; message?: string }, _req: Request, res: express.Response, _next: express.NextFunction) => {
    res.status(error.status ?? 500).send(error.message ?? '')
  })
  const pages = [
    ...plainGetPaths(contributions.routes).map((p) => ({ path: `/${name}${p === '/' ? '' : p}`, who: [person, admin] })),
    ...plainGetPaths(contributions.adminRoutes).map((p) => ({ path: `/admin/${name}${p === '/' ? '' : p}`, who: [admin] })),
  ]
  if (!pages.length) return []
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const problems: string[] = []
  try {
    // Each page plain and with a search (?q=, the query pages most often take).
    for (const page of pages.flatMap((p) => [p, { ...p, path: `${p.path}?q=conformance` }])) {
      for (const who of page.who) {
        viewer = who
        // As htmx asks for it: the fragment, so no layout is needed here.
        const res = await fetch(`http://127.0.0.1:${port}${page.path}`, { redirect: 'manual', headers: { Accept: 'text/html', 'HX-Request': 'true', 'HX-Request-Type': 'partial' } })
        if (res.status >= 500) {
          problems.push(`GET ${page.path} answered ${res.status} to ${who.role === 'ADMIN' ? 'an admin' : 'a person'} with nothing set up ` +
            `("${(await res.text()).slice(0, 120)}"): render the page with what it needs (and, for admins, where to set it up) instead`)
        }
      }
    }
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  return problems
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const i of items) out[i] = (out[i] ?? 0) + 1
  return out
}

/** Mocha: one test that lists every problem of the plugin in `dir`. */
export function describePluginConformance(dir: string, options: Omit<ConformanceOptions, 'dir'> = {}): void {
  describe(`plugin conformance: ${path.basename(dir)}`, function () {
    this.timeout(60_000)
    it('passes the conformance suite', async () => {
      const problems = await checkPluginConformance({ dir, ...options })
      expect(problems, problems.join('\n')).to.deep.equal([])
    })
  })
}
