// The plugin host: discover -> validate everything (all problems at once) ->
// register -> mount -> start (bounded, abort or disable on failure); stop runs the
// same steps backwards. The host knows no plugin by name.
import fs from 'node:fs/promises'
import express, { type Application, type Request, type RequestHandler } from 'express'
import type { Logger } from 'winston'
import type { Config } from '../config.ts'
import { durationMs } from '../config.ts'
import { bounded } from '../bounded.ts'
import { CORE_MIGRATIONS_DIR, type MigrationSet } from '../migrations.ts'
import {
  NotFound, PluginConfigError, PluginStartError,
  type Contributions, type DeclaredEventType, type NavItem, type PluginContext, type PluginDefinition, type RateLimitDefinition,
  type ServiceType, type SignInMethod, type Viewer, type Widget,
} from '../plugin-api.ts'
import type { PluginMetric, SetupStep, WebhookDefinition } from '../plugin-api.ts'
import { createPluginContext } from './context.ts'
import type { CoreServices } from '../core-services.ts'
import { discoverPlugins, FIRST_PARTY_DIR, type DiscoveredPlugin } from './discover.ts'
import { pathOf, validateContributions, validatePlugins } from './validate.ts'
import { CORE_EVENT_TYPES } from '../event-types.ts'
import { matches } from '../events.ts'

export type PluginState = 'loaded' | 'registered' | 'started' | 'disabled' | 'stopped'

export interface LoadedPlugin {
  name: string
  version: string
  dir: string
  origin: DiscoveredPlugin['origin']
  definition: PluginDefinition
  config: unknown
  onStartFailure: 'abort' | 'disable'
  state: PluginState
  failure?: string
  ctx?: PluginContext<any>
  contributions: Contributions
  stopFns: Array<() => Promise<void> | void>
  timings: { registerMs?: number; startMs?: number }
}

export interface PrepareOptions { firstPartyDir?: string }

const DEFAULT_LIFECYCLE_TIMEOUT = '30s'
/** How long /admin and /readyz wait for one plugin's warning check (1.9). */
const WARNING_CHECK_MS = 1000

export class PluginHost {
  private phase: 'prepared' | 'registered' | 'started' | 'stopped' = 'prepared'

  private constructor(
    readonly plugins: LoadedPlugin[],
    /** Every plugin found, enabled or not (for /admin/plugins and the CLI). */
    readonly discovered: DiscoveredPlugin[],
    private readonly log: Logger,
  ) {}

  /** Discovers and validates; throws PluginConfigError listing every problem. */
  static async prepare(config: Config, log: Logger, options: PrepareOptions = {}): Promise<PluginHost> {
    const discovery = await discoverPlugins(config, options.firstPartyDir ?? FIRST_PARTY_DIR)
    const validated = validatePlugins(discovery.plugins)
    const problems = [...discovery.problems, ...validated.problems]
    if (problems.length) throw new PluginConfigError(problems)
    const plugins = validated.ordered.map((p): LoadedPlugin => ({
      name: p.definition.name,
      version: p.definition.version,
      dir: p.dir,
      origin: p.origin,
      definition: p.definition,
      config: p.config,
      onStartFailure: p.entry?.onStartFailure ?? 'abort',
      state: 'loaded',
      contributions: {},
      stopFns: [],
      timings: {},
    }))
    return new PluginHost(plugins, discovery.plugins, log)
  }

  /** Core first, then each plugin in dependency order. */
  migrationSets(): MigrationSet[] {
    const sets: MigrationSet[] = [{ owner: 'core', dir: CORE_MIGRATIONS_DIR }]
    for (const p of this.plugins) {
      const dir = pathOf(p.definition.migrations)
      if (dir) sets.push({ owner: p.name, dir })
    }
    return sets
  }

  /** Each plugin's seeds folder, in dependency order (a plugin's seed may use its dependencies' rows). */
  seedFolders(): Array<{ plugin: LoadedPlugin; dir: string }> {
    return this.plugins.flatMap((plugin) => {
      const dir = pathOf(plugin.definition.seeds)
      return dir ? [{ plugin, dir }] : []
    })
  }

  /** Calls every register(ctx), checks what came back, and wires it into the core. */
  register(core: CoreServices): void {
    if (this.phase !== 'prepared') throw new Error(`plugins cannot be registered twice (phase ${this.phase})`)
    const problems: string[] = []
    for (const p of this.plugins) {
      const viewsDir = pathOf(p.definition.views)
      if (viewsDir) core.views.addNamespace(p.name, viewsDir)
      p.ctx = createPluginContext({
        core, name: p.name, version: p.version, dir: p.dir, config: p.config,
        dependsOn: p.definition.dependsOn ?? [], onStop: (fn) => p.stopFns.push(fn),
        declaredJobs: () => p.contributions.jobs ?? [],
        identityProviders: () => p.contributions.identityProviders ?? [],
      })
      const began = performance.now()
      try {
        p.contributions = p.definition.register(p.ctx) ?? {}
      } catch (error) {
        problems.push(`plugin "${p.name}": register(ctx) threw: ${(error as Error).message}`)
        continue
      }
      p.timings.registerMs = performance.now() - began
      const found = validateContributions(p.name, p.contributions)
      problems.push(...found)
      if (found.length) continue
      for (const provided of p.contributions.provides ?? []) core.provided.set(provided.ref.id, { owner: p.name, impl: provided.impl })
      p.state = 'registered'
    }
    const typeOwners = new Map<string, string>()
    const providerOwners = new Map<string, string>()
    let fallbackOwner: string | null = null
    // A mount is a top-level path: not another plugin's name (any plugin found, enabled or
    // not: enabling it later must not break this one) nor another's mount.
    const mountOwners = new Map<string, string>()
    for (const p of this.plugins) {
      for (const m of p.contributions.mounts ?? []) {
        const clash = this.plugins.find((o) => o.name === m.at)
        if (clash) problems.push(`plugin "${p.name}": mount "/${m.at}" is the prefix of plugin "${clash.name}"`)
        const owner = mountOwners.get(m.at)
        if (owner) problems.push(`plugin "${p.name}": mount "/${m.at}" is already plugin "${owner}"'s`)
        mountOwners.set(m.at, p.name)
      }
    }
    for (const p of this.plugins) {
      for (const t of p.contributions.serviceTypes ?? []) {
        const owner = typeOwners.get(t.name)
        if (owner) problems.push(`plugin "${p.name}": service type "${t.name}" is already owned by plugin "${owner}"`)
        typeOwners.set(t.name, p.name)
        if (t.fallback && fallbackOwner) problems.push(`plugin "${p.name}": service type "${t.name}" is a fallback, but plugin "${fallbackOwner}" already tests the services no type claims`)
        if (t.fallback) fallbackOwner ??= p.name
      }
      for (const provider of p.contributions.identityProviders ?? []) {
        const owner = providerOwners.get(provider)
        if (owner) problems.push(`plugin "${p.name}": sign-in provider "${provider}" is already owned by plugin "${owner}"`)
        providerOwners.set(provider, p.name)
      }
    }
    if (problems.length) throw new PluginConfigError(problems)
    this.phase = 'registered'
  }

  /**
   * Mounts routes at /<name> and admin routes at /admin/<name>, behind the plugin's own
   * rate limits; a disabled plugin's routes answer 404.
   */
  mount(app: Application, guards: CoreServices['guards'], makeLimit: (plugin: string, def: RateLimitDefinition) => RequestHandler): void {
    // Keyed '<name>' for /<name> and 'admin/<name>' for /admin/<name>.
    const sites = new Map<string, express.Router>()
    const site = (prefix: string, ...handlers: RequestHandler[]) => {
      const router = express.Router()
      router.use(`/${prefix}`, ...handlers)
      sites.set(prefix, router)
    }
    for (const p of this.plugins) {
      const gate: RequestHandler = (_req, _res, next) => {
        if (p.state !== 'started') return next(new NotFound())
        next()
      }
      const limits = express.Router()
      for (const def of p.contributions.rateLimits ?? []) {
        limits[def.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](def.path, makeLimit(p.name, def))
      }
      if (p.contributions.routes) site(p.name, gate, limits, p.contributions.routes)
      for (const m of p.contributions.mounts ?? []) site(m.at, gate, m.router)
      if (p.contributions.adminRoutes) site(`admin/${p.name}`, gate, guards.requireAdmin, p.contributions.adminRoutes)
    }
    // One layer for all plugins: the path's first segment (or the one after /admin) picks
    // the plugin's router, so a page of the fifth plugin does not go through the mounts
    // of the other four (three layers each, every one a path match). Plugin names are
    // lower case; Express matches mount paths without regard to case, and so does this.
    app.use((req, res, next) => {
      const [, first = '', second = ''] = req.path.toLowerCase().split('/', 3)
      const router = (first === 'admin' && sites.get(`admin/${second}`)) || sites.get(first)
      if (!router) return next()
      router(req, res, next)
    })
  }

  /**
   * Starts each plugin in order, each bounded by its timeout. Its jobs and event
   * handlers are wired first, so what it enqueues or emits during start() is handled;
   * a plugin that fails and is disabled has them removed again.
   */
  async start(core: CoreServices): Promise<void> {
    if (this.phase !== 'registered') throw new Error(`plugins cannot be started in phase ${this.phase}`)
    for (const p of this.plugins) {
      const began = performance.now()
      this.activate(p, core)
      try {
        await fs.mkdir(p.ctx!.dataDir, { recursive: true })
        const failedDep = (p.definition.dependsOn ?? []).find((d) => this.plugins.find((q) => q.name === d)?.state !== 'started')
        if (failedDep) throw new Error(`it depends on "${failedDep}", which did not start`)
        if (p.definition.start) {
          await bounded(p.definition.start(p.ctx!), lifecycleMs(p), `start() did not finish within ${p.definition.lifecycleTimeout ?? DEFAULT_LIFECYCLE_TIMEOUT}`)
        }
        p.state = 'started'
      } catch (error) {
        p.failure = (error as Error).message
        this.deactivate(p, core)
        if (p.onStartFailure === 'abort') {
          await this.stop()
          throw new PluginStartError(p.name, `failed to start: ${p.failure}`, { cause: error })
        }
        p.state = 'disabled'
        this.log.error(`plugin "${p.name}" failed to start and is disabled until the next restart: ${p.failure}`)
      } finally {
        p.timings.startMs = performance.now() - began
      }
    }
    this.phase = 'started'
    for (const warning of this.undeclaredSubscriptions()) this.log.warn(warning)
    this.log.info(`plugins started: ${this.plugins.map((p) =>
      `${p.name}@${p.version} ${p.state} (register ${ms(p.timings.registerMs)}, start ${ms(p.timings.startMs)})`).join(', ') || 'none'}`)
  }

  private activate(p: LoadedPlugin, core: CoreServices): void {
    const log = p.ctx!.log
    for (const job of p.contributions.jobs ?? []) core.queue.define(`${p.name}.${job.name}`, job, log)
    for (const handler of p.contributions.on ?? []) core.bus.on(handler.event, p.name, handler.handle, log)
  }

  private deactivate(p: LoadedPlugin, core: CoreServices): void {
    for (const job of p.contributions.jobs ?? []) core.queue.forget(`${p.name}.${job.name}`)
    core.bus.off(p.name)
  }

  /** Stops started plugins in reverse order, each bounded; never throws. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return
    this.phase = 'stopped'
    for (const p of [...this.plugins].reverse()) {
      if (p.state !== 'started') continue
      try {
        for (const fn of [...p.stopFns].reverse()) await bounded(Promise.resolve(fn()), lifecycleMs(p), 'an onStop callback did not finish in time')
        if (p.definition.stop) await bounded(p.definition.stop(p.ctx!), lifecycleMs(p), 'stop() did not finish in time')
      } catch (error) {
        this.log.warn(`plugin "${p.name}" did not stop cleanly: ${(error as Error).message}`)
      }
      p.state = 'stopped'
    }
  }

  private running(): LoadedPlugin[] {
    return this.plugins.filter((p) => p.state === 'started' || (this.phase !== 'started' && p.state === 'registered'))
  }

  /**
   * Every page asks for the nav and the widgets of its viewer's role: once the plugins have
   * started, the set cannot change until they stop, so each role's list is made once.
   */
  private byRole = new Map<string, { nav: Array<NavItem & { plugin: string; domId?: string }>; widgets: Array<Widget & { plugin: string; domId: string }> }>()

  private forRole(role: Viewer['role']) {
    const hit = this.phase === 'started' ? this.byRole.get(role) : undefined
    if (hit) return hit
    const nav = this.running().flatMap((p) => (p.contributions.nav ?? [])
      .filter((n) => (n.place === 'admin' ? role === 'ADMIN' : !n.role || n.role === role || role === 'ADMIN'))
      .map((n) => ({ ...n, place: n.place ?? 'main', plugin: p.name, domId: n.id ? `${p.name}-nav-${n.id}` : undefined })))
      // Stable: equal priorities keep the plugins' order.
      .sort((a, b) => (a.priority ?? 100) - (b.priority ?? 100))
    const widgets = this.running().flatMap((p) => (p.contributions.widgets ?? [])
      .filter((w) => !w.role || w.role === role || role === 'ADMIN')
      .map((w) => ({ ...w, plugin: p.name, domId: `${p.name}-widget-${w.id}` })))
    const made = { nav, widgets }
    if (this.phase === 'started') this.byRole.set(role, made)
    return made
  }

  nav(viewer: Viewer | null): Array<NavItem & { plugin: string; domId?: string }> {
    return viewer ? this.forRole(viewer.role).nav : []
  }

  /**
   * The nav for a full page: entries with `render` (1.1) carry their HTML for this viewer
   * and their DOM id. A render that throws is logged and the plain link shown: the page
   * must not fail because one entry's count could not be read.
   */
  async renderedNav(viewer: Viewer | null, req: Request): Promise<Array<NavItem & { plugin: string; domId?: string; html?: string }>> {
    return Promise.all(this.nav(viewer).map(async (n) => {
      if (!n.render || !viewer) return n
      try {
        return { ...n, html: await n.render({ viewer, req }) }
      } catch (error) {
        this.log.warn(`${n.plugin}: nav entry "${n.label}" failed to render, showing the plain link: ${(error as Error)?.message ?? error}`)
        return n
      }
    }))
  }

  widgets(viewer: Viewer): Array<Widget & { plugin: string; domId: string }> {
    return this.forRole(viewer.role).widgets
  }

  widget(plugin: string, id: string): (Widget & { plugin: string; domId: string }) | undefined {
    const p = this.running().find((q) => q.name === plugin)
    const w = p?.contributions.widgets?.find((x) => x.id === id)
    return w && { ...w, plugin, domId: `${plugin}-widget-${id}` }
  }

  /**
   * Every running plugin's admin warnings that apply now (1.9). A check that throws or takes
   * longer than a second is itself reported, and never holds up the page that asked.
   */
  async warnings(): Promise<Array<{ plugin: string; id: string; message: string }>> {
    const checks = this.running().flatMap((p) => (p.contributions.warnings ?? []).map((w) => ({ plugin: p.name, w })))
    const answers = await Promise.all(checks.map(async ({ plugin, w }) => {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<string>((resolve) => { timer = setTimeout(() => resolve(`The "${w.id}" check did not answer within a second.`), WARNING_CHECK_MS) })
      const message = await Promise.race([Promise.resolve().then(() => w.check()), late])
        .catch((error: Error) => `The "${w.id}" check failed: ${error.message}`)
        .finally(() => clearTimeout(timer))
      return message ? { plugin, id: w.id, message: String(message).slice(0, 1000) } : null
    }))
    return answers.filter((a) => a !== null)
  }

  /** Every running plugin's metrics (1.10), with the plugin that gives each. */
  metrics(): Array<PluginMetric & { plugin: string }> {
    return this.running().flatMap((p) => (p.contributions.metrics ?? []).map((m) => ({ ...m, plugin: p.name })))
  }

  /** Every running plugin's setup steps, by priority (1.6). */
  setupSteps(): Array<SetupStep & { plugin: string }> {
    return this.running().flatMap((p) => (p.contributions.setupSteps ?? []).map((s) => ({ ...s, plugin: p.name })))
      .sort((a, b) => (a.priority ?? 100) - (b.priority ?? 100))
  }

  serviceTypes(): Array<ServiceType & { plugin: string }> {
    return this.running().flatMap((p) => (p.contributions.serviceTypes ?? []).map((t) => ({ ...t, plugin: p.name })))
  }

  signInMethods(): Array<SignInMethod & { plugin: string }> {
    return this.running().flatMap((p) => (p.contributions.signInMethods ?? []).map((m) => ({ ...m, plugin: p.name })))
  }

  eventTypes(): DeclaredEventType[] {
    return this.running().flatMap((p) => (p.contributions.eventTypes ?? []).map((t) => ({ ...t, plugin: p.name })))
  }

  /**
   * A handler for an event nobody declares is most often a typo, or a dependency that is
   * switched off: it would wait forever in silence, so the boot says so (and goes on).
   */
  undeclaredSubscriptions(): string[] {
    const declared = [...CORE_EVENT_TYPES.map((t) => t.event), ...this.eventTypes().map((t) => t.event)]
    return this.plugins.filter((p) => p.state === 'started').flatMap((p) => (p.contributions.on ?? [])
      .filter((h) => !declared.some((event) => matches(h.event, event)))
      .map((h) => `plugin "${p.name}" handles "${h.event}", but no running plugin declares ${h.event.includes('*') ? 'an event it matches' : 'that event'} in its eventTypes; check the name`))
  }

  /** The running plugins' webhooks (1.1), mounted by core/webhooks/routes.ts. */
  webhooks(): Array<WebhookDefinition & { plugin: string }> {
    return this.running().flatMap((p) => (p.contributions.webhooks ?? []).map((w) => ({ ...w, plugin: p.name })))
  }

  rateLimits(): Array<RateLimitDefinition & { plugin: string }> {
    return this.plugins.flatMap((p) => (p.contributions.rateLimits ?? []).map((r) => ({ ...r, plugin: p.name })))
  }

  schedules(): Array<{ plugin: string; log: Logger; def: NonNullable<Contributions['schedules']>[number] }> {
    return this.plugins.filter((p) => p.state === 'started')
      .flatMap((p) => (p.contributions.schedules ?? []).map((def) => ({ plugin: p.name, log: p.ctx!.log, def })))
  }
}

function lifecycleMs(p: LoadedPlugin): number {
  return durationMs(p.definition.lifecycleTimeout ?? DEFAULT_LIFECYCLE_TIMEOUT)
}

function ms(value: number | undefined): string {
  return value === undefined ? '-' : `${Math.round(value)} ms`
}


