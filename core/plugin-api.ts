// The plugin contract: the only core module a plugin imports. Everything a plugin
// may touch is described here; the host (core/plugins/) fills it in.
import type { Knex } from 'knex'
import type { Request, Response, Router, RequestHandler } from 'express'
import type { Logger } from 'winston'
import type { z } from 'zod'

export const PLUGIN_API_VERSION = '1.13.0'

export { z } from 'zod'
export { fetchImage, ImageFailure, IMAGE_TYPES, type FetchImageOptions, type FetchedImage } from './image-fetch.ts'
export type { Knex, Request, Response, Router, RequestHandler, Logger }

// ---------- errors: one class per failure kind, turned into pages by the error handler

export class HttpError extends Error {
  readonly status: number
  /** What a person may read. Server errors keep their detail in the log, not the page. */
  readonly expose: boolean
  constructor(status: number, message: string, options?: { cause?: unknown; expose?: boolean }) {
    super(message, { cause: options?.cause })
    this.name = new.target.name
    this.status = status
    this.expose = options?.expose ?? status < 500
  }
}
export class NotFound extends HttpError {
  constructor(message = 'Nothing was found at this address.') { super(404, message) }
}
export class Unauthorized extends HttpError {
  constructor(message = 'Please sign in to continue.') { super(401, message) }
}
export class Forbidden extends HttpError {
  constructor(message = 'You do not have permission to do that.') { super(403, message) }
}
export class BadInput extends HttpError {
  /** Per-field messages, keyed by form field name, for re-rendering a form. */
  readonly fields: Record<string, string>
  constructor(message: string, fields: Record<string, string> = {}) {
    super(422, message)
    this.fields = fields
  }
}
export class Conflict extends HttpError {
  constructor(message: string) { super(409, message) }
}
export class TooManyRequests extends HttpError {
  readonly retryAfterSeconds: number
  constructor(message: string, retryAfterSeconds: number) {
    super(429, message)
    this.retryAfterSeconds = retryAfterSeconds
  }
}
export class ServiceUnavailable extends HttpError {
  readonly retryAfterSeconds: number
  constructor(message: string, retryAfterSeconds = 5) {
    super(503, message)
    this.retryAfterSeconds = retryAfterSeconds
  }
}
/** An upstream service failed: says which service, which URL, and why, in words. */
export class UpstreamError extends HttpError {
  readonly service: string
  readonly url: string
  readonly why: string
  readonly upstreamStatus?: number
  constructor(service: string, url: string, why: string, options?: { cause?: unknown; upstreamStatus?: number }) {
    // Upstream failures are always shown: the person can often fix them (a key, a URL).
    super(502, `${service}: ${why} (${url})`, { cause: options?.cause, expose: true })
    this.service = service
    this.url = url
    this.why = why
    this.upstreamStatus = options?.upstreamStatus
  }
}
export class PluginConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'PluginConfigError'
  }
}
export class PluginStartError extends Error {
  constructor(readonly plugin: string, message: string, options?: { cause?: unknown }) {
    super(`${plugin}: ${message}`, options)
    this.name = 'PluginStartError'
  }
}

// ---------- who is asking

export type Role = 'ADMIN' | 'USER'
export interface Viewer {
  id: string
  email: string
  name: string | null
  role: Role
  image: string | null
  requiresPasswordChange: boolean
  /** The session this request came in on (absent for API-token requests). */
  sessionId: string | null
  /** (1.12) The IANA zone the person chose on /account; null: the site's. Write dates with ctx.http.formatDate. */
  timeZone: string | null
}

// ---------- service refs: typed capabilities one plugin provides and another uses

export interface ServiceRef<T> {
  readonly id: string
  /** Phantom: carries T for the type checker only. */
  readonly _type?: T
}
/**
 * (1.12) How long something takes or waits, wherever the contract asks for one (a job's
 * or a schedule's timeout, a schedule's interval, a rate limit's window, a lifecycle
 * timeout): a string of digits and a unit ('500ms', '30s', '15m', '6h', '7d') or a whole
 * number of milliseconds. `durationMs` reads either.
 */
export type Duration = string | number

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** (1.12) A Duration in milliseconds: '15m' → 900000, 2500 → 2500. Throws, naming it, on anything else. */
export function durationMs(value: Duration): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value
    throw new Error(`${value} is not a duration (a whole number of milliseconds, or e.g. 30s, 15m, 6h, 7d)`)
  }
  const match = typeof value === 'string' ? /^(\d+)(ms|s|m|h|d)$/.exec(value) : null
  if (!match) throw new Error(`"${String(value).slice(0, 40)}" is not a duration (use e.g. 30s, 15m, 6h, 7d, or a number of milliseconds)`)
  return Number(match[1]) * UNIT_MS[match[2]]
}

/** (1.12) Whether Intl knows this IANA time zone name ('Europe/Berlin'). */
export function isTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || !zone || zone.length > 64) return false
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** (1.12) Every IANA time zone this runtime knows, UTC first: what a form offers. */
export const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')]

export function createServiceRef<T>(id: string): ServiceRef<T> {
  return Object.freeze({ id })
}
export interface Provided { ref: ServiceRef<unknown>; impl: unknown }
export function provide<T>(ref: ServiceRef<T>, impl: T): Provided {
  return { ref: ref as ServiceRef<unknown>, impl }
}

// ---------- what register() returns

export interface NavItem {
  label: string
  href: string
  role?: Role
  /**
   * (1.2) Unique in the plugin; the entry's `<li>` gets the DOM id `<plugin>-nav-<id>`, so
   * ctx.live can update what is inside it (a count). Required with `render`.
   */
  id?: string
  /**
   * (1.2) The entry's inner HTML for this viewer instead of the plain link: a count, a
   * small drop-down. Render it with ctx.views.render (escaped) and keep a plain link to
   * `href` in it, so the entry works without JavaScript. A throw shows the plain link.
   */
  render?(args: WidgetRenderArgs): Promise<string> | string
  /**
   * (1.5) Where the header shows it: 'main' (the default) among the sections, which fold
   * into a menu on a phone; 'indicator' beside the person's menu, always visible (a bell:
   * keep it to an icon and a count); 'account' in the person's menu (their own settings);
   * 'admin' in the Admin menu (admins only; the href under /admin/<plugin>).
   */
  place?: NavPlace
  /** (1.5) Order within its place: lower first (default 100; ties keep the plugins' order). */
  priority?: number
}
export type NavPlace = 'main' | 'indicator' | 'account' | 'admin'
export const NAV_PLACES: readonly NavPlace[] = ['main', 'indicator', 'account', 'admin']
export interface WidgetRenderArgs { viewer: Viewer; req: Request }
export interface Widget {
  /** Unique in the plugin; the card's DOM id is `<plugin>-widget-<id>`. */
  id: string
  title: string
  role?: Role
  /** Returns the card's inner HTML (render a fragment template with ctx.views.render). */
  render(args: WidgetRenderArgs): Promise<string> | string
}
/**
 * One step of the first admin's setup guide (1.6): something this plugin needs before
 * people get what it offers, with its state read live each time the guide is shown.
 */
export interface SetupStep {
  /** Unique in the plugin: lower-case letters, digits and dashes. */
  id: string
  /** What to do, as a short imperative: "Connect Overseerr". */
  title: string
  /** What people get once it is done, in one sentence. */
  why: string
  /** The form that does it (a path of this site: your admin page, the service form…). */
  href: string
  /** Lower comes first in the guide (default 100). */
  priority?: number
  /**
   * Read from your own tables or settings, not from the network: the guide asks every
   * step at once and gives each 3 s. A throw or a timeout shows as "needs attention".
   */
  state(): Promise<SetupState> | SetupState
}
export interface SetupState {
  /** 'done', 'attention' (set up but not working: say why in `detail`), or 'todo'. */
  status: 'done' | 'attention' | 'todo'
  /** One sentence shown beside the step: what was found, or what is wrong. */
  detail?: string
  /** Where to fix it now, when not the step's href (the existing service's form, say). */
  href?: string
}
export interface JobRunContext {
  signal: AbortSignal
  jobId: string
  attempt: number
  log: Logger
  /** Extend the lease now (the host also renews it on a heartbeat). */
  heartbeat(): Promise<void>
}
export interface JobDefinition<P = any> {
  /** Local name; the full job name is `<plugin>.<name>`. */
  name: string
  /** Longest one attempt may run, e.g. '30s', '10m', '6h'. */
  timeout: Duration
  concurrency?: number
  /** Attempts in all, first one included (default 5). */
  attempts?: number
  payload?: z.ZodType<P>
  /** Bump when the payload's shape changes (default 1); rows keep the version they were written with. */
  payloadVersion?: number
  /** Turns a payload written by an older version into the current shape. */
  upgrade?(payload: unknown, fromVersion: number): unknown
  run(payload: P, job: JobRunContext): Promise<void>
  /**
   * (1.4) The job failed for good: its last attempt threw or timed out, the process
   * running its last attempt died (lease lost), or its payload was refused. Runs once, in
   * the transaction that marks the job failed (write through `trx` only: on PGlite a query
   * on ctx.db from inside it is refused), so a row of yours never stays "running" after
   * its job is gone. If it throws, its writes are rolled back, it is logged, and the job is
   * failed all the same.
   */
  onFailed?(failure: JobFailure<P>): Promise<void>
}
export interface ViewerCacheOptions<T> {
  load(viewerId: string): Promise<T>
  /** Longest an entry is kept without an invalidate (default '60s'): a bound on a change nobody announced. */
  maxAge?: Duration
}
export interface ViewerCache<T> {
  /** The cached value, or load()'s. */
  get(viewerId: string): Promise<T>
  /** Drops this person's entry in every process (a NOTIFY). */
  invalidate(viewerId: string): Promise<void>
  invalidateAll(): Promise<void>
}
/** What onFailed gets (1.4). */
export interface JobFailure<P = any> {
  jobId: string
  /** The payload as run() would get it; undefined when it was refused (see `raw`). */
  payload: P | undefined
  /** The payload as stored. */
  raw: unknown
  /** Why, as the job's last_error says it. */
  error: string
  trx: Knex.Transaction
  /** Runs `fn` once the transaction has committed (a live update of the row): never inside it; errors are logged. */
  afterCommit(fn: () => Promise<void> | void): void
  log: Logger
}
export interface ScheduleDefinition {
  id: string
  every: Duration
  timeout: Duration
  /** cluster: once per interval across all processes; instance: in every process. */
  scope: 'cluster' | 'instance'
  run(job: { signal: AbortSignal; log: Logger }): Promise<void>
}
export interface EventHandler {
  /**
   * One event ('overseerr.request.completed'), or a pattern: 'overseerr.*' (every event
   * under that prefix) or '*' (every event). (1.1: patterns)
   */
  event: string
  /**
   * `meta.id` (1.2): one id per emit, the same for every subscriber and on every retry
   * of the delivery: key what you write on it and a fact delivered twice counts once.
   */
  handle(payload: any, meta: { event: string; emittedAt: Date; id: string }): Promise<void> | void
}
/** Who a fact concerns: 'subject' is the one user named by the payload's `userId`. */
export type EventAudience = 'subject' | 'admins' | 'everyone'
/** A fact in words, for a person: what a notification or a log line shows. */
export interface EventDescription {
  title: string
  message: string
  link?: string
  /** (1.11) How grave this fact is, when it has a grade (an outage): outbound channels may filter on it. */
  severity?: 'low' | 'medium' | 'high' | 'critical'
}
/** An event a plugin emits, declared as data so any plugin can turn it into a message. (1.1) */
export interface EventType {
  /** '<plugin>.<noun>.<past-verb>', under the declaring plugin's own prefix. */
  event: string
  title: string
  audience: EventAudience
  /** Turns one payload into words. Must not do I/O; a throw is logged and the message skipped. */
  describe(payload: any): EventDescription
}
export interface DeclaredEventType extends EventType {
  /** The declaring plugin, or 'core' for the core's lifecycle events. */
  plugin: string
}
export interface ServiceTestResult { ok: boolean; message: string; responseTimeMs?: number }
export interface ServiceField {
  name: string
  label: string
  /** `textarea` (1.11): several lines, e.g. one HTTP header per line. */
  type: 'text' | 'url' | 'secret' | 'number' | 'checkbox' | 'textarea'
  required?: boolean
  help?: string
  /**
   * (1.13) A secret the admin also pastes into the other service (a webhook secret, which
   * both ends hold): the form offers to generate a random one, and an admin may show the
   * stored value again, with a copy button. Every other secret stays write-only.
   */
  shared?: boolean
}
export interface ServiceConfigRecord {
  id: number
  /** Unique: 'overseerr', 'overseerr-4k'. */
  serviceName: string
  /**
   * (1.13) The kind of service, a ServiceType's name ('overseerr'): several services may be
   * of one kind, each with its own name. null: "Other" (an address no plugin's type claims).
   */
  serviceType: string | null
  serviceUrl: string
  apiKey: string | null
  enabled: boolean
  configData: Record<string, unknown>
  /** The service type's declared fields by name, secret ones decrypted; null when unset (1.1). */
  fields: Record<string, string | number | boolean | null>
  updatedAt: Date
  updatedBy: string | null
}
/** A kind of upstream service a plugin owns (Overseerr, Plex…): how to configure and test it. */
export interface ServiceType {
  /** The `service_name` rows of this kind use, e.g. 'overseerr'. */
  name: string
  label: string
  fields?: ServiceField[]
  /**
   * (1.2) Also tests every service that no running plugin's type claims (one added as
   * "Other", with just an address): "Test connection" and ctx.services.check then use
   * this test. Not offered as a kind in the admin form. One plugin at most.
   */
  fallback?: boolean
  /**
   * (1.11) Checks the plain field values the admin typed (secrets are never passed), after
   * the core's own checks. Answers a message per field name that is wrong, shown beside
   * that field on a 422 form with nothing saved; an empty object (or nothing) accepts.
   * A fallback type's fields are the form's fields for an "Other" service.
   */
  validate?(values: Record<string, string | number | boolean | null>): Record<string, string> | void
  test(service: ServiceConfigRecord, signal: AbortSignal): Promise<ServiceTestResult>
}
/** An extra way to sign in. The login page shows a button that links to `startPath`. */
export interface SignInMethod {
  id: string
  label: string
  /** Under the plugin's own prefix, e.g. '/plex-auth/start'. */
  startPath: string
  /**
   * Whether the button shows now, asked on every sign-in page (e.g. only once the
   * upstream it checks against is configured). A throw hides it and is logged. (1.2)
   */
  available?(): boolean | Promise<boolean>
  /**
   * Owner-first setup (1.2): on a fresh install /setup offers this method; after the
   * setup code, the browser goes here holding a grant (`ctx.identity.setupGrant`), and
   * `linkOrCreate(account, { setup: req })` makes that person the first admin.
   */
  setupPath?: string
}
export interface RateLimitDefinition {
  id: string
  /** Applied to requests under the plugin's prefix that match this method and path. */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  limit: number
  window: Duration
  /**
   * (1.8) Count only requests answered below 400: a refused one (422 bad input, 409) takes
   * its hit back when its response ends, so mistakes do not use up a person's allowance.
   * Leave it off where each attempt costs (a login, a call upstream before it is refused).
   */
  acceptedOnly?: boolean
}
/**
 * (1.11) A top-level path a plugin serves besides /<name>, e.g. `{ at: 'status', router }`
 * for /status/…: a lower-case segment that no core route, no plugin name and no other
 * plugin's mount uses (the host refuses a clash at boot). Like `routes`, nothing guards it:
 * add ctx.http.requireUser to the router unless it is meant for people not signed in.
 */
export interface Mount { at: string; router: Router }
export interface Contributions {
  routes?: Router
  adminRoutes?: Router
  /** Top-level paths besides /<name> (1.11). */
  mounts?: Mount[]
  nav?: NavItem[]
  widgets?: Widget[]
  jobs?: JobDefinition[]
  schedules?: ScheduleDefinition[]
  on?: EventHandler[]
  provides?: Provided[]
  serviceTypes?: ServiceType[]
  signInMethods?: SignInMethod[]
  rateLimits?: RateLimitDefinition[]
  /** The events this plugin emits (1.1). */
  eventTypes?: EventType[]
  /**
   * Sign-in providers this plugin vouches for ('plex'): ctx.identity works only for these,
   * and no two plugins share one (1.1).
   */
  identityProviders?: string[]
  /** Machine-to-machine POSTs at /<plugin>/hooks/<path> (1.1). */
  webhooks?: WebhookDefinition[]
  /** Steps of the first admin's setup guide (1.6). */
  setupSteps?: SetupStep[]
  /** Things an admin should act on, on /admin and in /readyz's details for admins (1.9). */
  warnings?: AdminWarning[]
  /** Figures for Prometheus at GET /metrics, named medianest_<plugin>_<name> (1.10). */
  metrics?: PluginMetric[]
}

/**
 * (1.10) A gauge for Prometheus, served at GET /metrics (behind the admin's bearer token,
 * off unless metrics.token is set) as `medianest_<plugin>_<name>` (dashes become
 * underscores). `collect` is asked at each scrape: read what you keep (a status row), never
 * call upstream; it gets 2 seconds. Label values are escaped by the core; keep their number
 * bounded (one per service, not one per request).
 */
export interface PluginMetric {
  /** Lower-case letters, digits and underscores: `up`, `response_time_ms`. */
  name: string
  help: string
  labels?: string[]
  collect(): Promise<Array<{ labels?: Record<string, string>; value: number }>> | Array<{ labels?: Record<string, string>; value: number }>
}

/**
 * (1.9) Something an admin should act on while the app still works: a tool too old, a
 * setting that will bite. `check` answers a sentence that says what and how to fix it,
 * or null while all is well; it is asked when /admin or an admin's /readyz is read, so
 * keep it cheap (read a value you keep, do not call upstream). It never makes /readyz
 * "not ready": a load balancer must not drop a working instance over advice.
 */
export interface AdminWarning {
  id: string
  check(): Promise<string | null> | string | null
}

// ---------- webhooks (1.1): another server calls us; no cookie, no CSRF, a secret instead

/** Where the secret lives (a service field, the plugin config); null or '' refuses every delivery. */
export type WebhookSecret = () => Promise<string | null | undefined> | string | null | undefined
/** The header carries the configured secret itself (Overseerr's Authorization header). */
export interface SharedSecretVerify {
  kind: 'shared-secret'
  header: string
  /** Expected before the secret, e.g. 'Bearer '. */
  prefix?: string
  secret: WebhookSecret
}
/** The header carries HMAC-SHA256(secret, body), or of `${timestamp}.${body}` with a timestamp header. */
export interface HmacVerify {
  kind: 'hmac-sha256'
  header: string
  /** Before the digest, e.g. 'sha256='. */
  prefix?: string
  /** How the digest is written (default 'hex'). */
  encoding?: 'hex' | 'base64'
  secret: WebhookSecret
  /** Unix seconds; when declared it is signed too, and a stale or future one is refused (replay). */
  timestampHeader?: string
  /** Largest accepted distance from now, in seconds (default 300). */
  toleranceSeconds?: number
}
export type WebhookVerify = SharedSecretVerify | HmacVerify
export interface WebhookRequest {
  /** The raw bytes, exactly as received (what the HMAC covers). */
  body: Buffer
  /** The parsed body for `json: true` webhooks; undefined otherwise. */
  json: unknown
  headers: Record<string, string | string[] | undefined>
  ip: string
  /** This delivery's id (the request id in the logs and the X-Request-Id answer). */
  deliveryId: string
}
export interface WebhookResult { status?: number; body?: unknown }
export interface WebhookDefinition {
  /** Unique in the plugin. */
  id: string
  /** Below /<plugin>/hooks/: lower-case letters, digits, dashes and slashes. */
  path: string
  verify: WebhookVerify
  /** Parse the body as JSON; malformed JSON is a 400 before handle() runs. */
  json?: boolean
  /** Largest body, in bytes (default 256 KiB). */
  maxBytes?: number
  /** Deliveries per source IP and window (default 120 per '1m'). */
  limit?: number
  window?: Duration
  /** A delivery key (a delivery-id header, a hash of the body): a repeat is answered 200 { duplicate: true }. */
  dedupe?(req: WebhookRequest): string | null | undefined
  /** Answer fast: enqueue a job for slow work. Nothing returned means 200 { ok: true }. */
  handle(req: WebhookRequest): Promise<WebhookResult | void> | WebhookResult | void
}

// ---------- the context a plugin receives

export interface PageOrFragmentOptions {
  /** The full page template, e.g. 'hello:index'. */
  page: string
  /** The fragment template rendered alone for htmx partial requests, e.g. 'hello:_greeting'. */
  fragment: string
  data?: Record<string, unknown>
  title?: string
  status?: number
  /**
   * (1.11) A page people may read without signing in that listens for live events sent to
   * `{ public: true }`: a signed-out visitor's page opens an anonymous stream (capped per
   * process and per address; it hears only public events).
   */
  publicLive?: boolean
  /**
   * (1.11) HTML kept rendered and encoded (a page the same for everyone, cached): used as the
   * fragment and as the page's body as is, instead of rendering `page` and `fragment`.
   * Only the layout around it is rendered per request.
   */
  html?: Buffer
}
export interface Views {
  render(name: string, data?: Record<string, unknown>): Promise<string>
  pageOrFragment(req: Request, res: Response, options: PageOrFragmentOptions): Promise<void>
}
export interface HttpTools {
  router(): Router
  requireUser: RequestHandler
  requireAdmin: RequestHandler
  viewer(req: Request): Viewer | null
  /** The viewer, or throws Unauthorized: for handlers behind requireUser. */
  mustViewer(req: Request): Viewer
  /** Validates a request part with a zod schema; a failure is a BadInput naming the fields. */
  parse<T>(schema: z.ZodType<T>, value: unknown): T
  /**
   * The form-error path (1.1): validates without throwing, so the route can answer 422
   * with its own form fragment, each message beside its field. A BadInput that reaches
   * the core's error handler instead goes to the page's alert region, never into the form.
   */
  validate<T>(schema: z.ZodType<T>, value: unknown): FormCheck<T>
  /**
   * A one-shot notice for this plugin's next page, after a redirect (1.1): a key, never
   * text, in a short-lived cookie. Unlike ?done= in the URL, a reload does not repeat it.
   */
  flash(res: Response, key: string): void
  /** The notice left for this page, looked up by key in `notices` (and cleared), or null. */
  takeFlash(req: Request, res: Response, notices: Readonly<Record<string, string>>): string | null
  /**
   * After a form that succeeded, a whole-page move to a local path (1.2): 303 for a plain
   * form, 204 + HX-Redirect for htmx (which would otherwise swap the next page into the
   * form's target). Anything but a local path goes to '/'.
   */
  sendTo(req: Request, res: Response, target: string): void
  /**
   * (1.13) The one way a POST that worked answers. htmx with `inPlace`: it renders the
   * caller's target anew (a fresh form with its notice, the changed row) and the page
   * stays. Otherwise the browser moves to `to` (303 for a plain form, 204 + HX-Redirect
   * for htmx), carrying `notice`, a key of your notices that the page reads once with
   * takeFlash (a reload does not repeat it). Anything but a local `to` goes to '/'.
   */
  done(req: Request, res: Response, outcome: DoneOutcome): Promise<void>
  /**
   * (1.12) Whether htmx made this request (HX-Request: true), boosted or not: answer it in
   * place (pageOrFragment gives the fragment, or the page for a boosted one) or with
   * sendTo's HX-Redirect. False for a plain form post: redirect (303) with a flash notice,
   * so a reload repeats nothing.
   */
  isHtmx(req: Request): boolean
  /**
   * (1.12) The zone dates are read in for this request: the viewer's own, else the site's
   * (config timeZone, else the server's). (1.13) null for no request: the site's.
   */
  timeZone(req: Request | null): string
  /**
   * (1.12) A date as the viewer's clock shows it ('8 Dec 2026, 07:30 CET'; 'date': '8 Dec
   * 2026'; 'time': '07:30'). Compute "today" with timeZone(req), never with UTC days.
   * Print it as `<time datetime="<ISO>" data-style="<style>">…</time>`.
   *
   * (1.13) null instead of a request, for HTML made for no one in particular (a live push,
   * a job, a message stored for later): the site's zone, with its abbreviation on every
   * style ('8 Dec 2026, 07:30 CET'; 'date': '8 Dec 2026, CET'; 'time': '07:30 CET'), so it
   * reads right for anyone. In a pushed fragment, the page's script rewrites each such
   * `<time datetime data-style>` into its reader's zone.
   */
  formatDate(req: Request | null, date: Date, style?: 'date' | 'datetime' | 'time'): string
  /**
   * (1.12) One-time forms, for a form that creates something. Put `formToken()` in a
   * hidden `_once` field of each render. On the POST, once the input is valid,
   * `claimForm(req, 'add-note')` is 'first' the first time that rendered form is sent and
   * 'repeat' for a double click, a replayed POST or Back and resend: then create nothing
   * and say so. If the creation itself fails, `releaseForm(req, 'add-note')` lets the
   * corrected form be sent. Per signed-in person; a POST without `_once` (a script) is 'first'.
   */
  formToken(): string
  claimForm(req: Request, form: string): Promise<'first' | 'repeat'>
  releaseForm(req: Request, form: string): Promise<void>
  /**
   * (1.12) A path of this site as an absolute address, from the config's `publicUrl` only
   * (never the request's Host header, which a caller chooses): for an address that leaves
   * the browser, such as a link in a mail. absoluteUrl('/notifications') →
   * 'https://media.example.com/notifications'; null without publicUrl or for anything
   * but a local path.
   */
  absoluteUrl(path: string): string | null
}
/** (1.13) What ctx.http.done does: see there. */
export interface DoneOutcome {
  to: string
  notice?: string
  inPlace?: () => unknown
}
export type FormCheck<T> =
  | { ok: true; data: T }
  | { ok: false; message: string; fields: Record<string, string> }
export interface EnqueueOptions {
  dedupeKey?: string
  runAt?: Date
  attempts?: number
  /** Enqueue inside this transaction: the job exists only if the transaction commits (1.1). */
  trx?: Knex.Transaction
}
export interface Jobs {
  /**
   * `name` is the plugin's local job name; returns the job id (the existing one for a
   * duplicate dedupeKey). Throws at once for a job the plugin did not declare, and a
   * BadInput for a payload its schema refuses (1.1).
   */
  enqueue(name: string, payload: unknown, options?: EnqueueOptions): Promise<string>
  cancel(jobId: string): Promise<boolean>
}
export interface EmitOptions {
  /** Emit inside this transaction: the deliveries exist only if it commits (1.1). */
  trx?: Knex.Transaction
}
export interface Events {
  /** `event` must start with the plugin's name: '<plugin>.<noun>.<past-verb>'. */
  emit(event: string, payload: Record<string, unknown>, options?: EmitOptions): Promise<void>
  /** Every event type the core and the running plugins declare (1.1). */
  types(): DeclaredEventType[]
  /**
   * The declared type's describe(payload); null when no running plugin declares the
   * event or its describe throws (logged, naming the plugin) (1.1). Cleaned for every
   * reader (1.12): no control characters, the title at most 200 characters (the type's
   * title when it is empty) and the message 2000, cut with an ellipsis; the link only
   * one of our paths or an http(s) address. Show it as it comes.
   */
  describe(event: string, payload: Record<string, unknown>): EventDescription | null
}
/**
 * `{ userId }`: that person's pages. `{ role: 'USER' }`: every signed-in person's, admins
 * included. `{ role: 'ADMIN' }`: admins' only. `{ public: true }` (1.11): every open page
 * that listens, signed in or not; no user data in it.
 */
export type LiveAudience = { userId: string } | { role: Role } | { public: true }
export interface Live {
  /** Push HTML to the audience's open pages. `event` names an htmx event; 'message' swaps <hx-partial>s. */
  publish(event: string, html: string, audience: LiveAudience): Promise<void>
}
export interface UpstreamOptions {
  service: string
  baseUrl: string
  timeoutMs?: number
  headers?: Record<string, string>
  /** Largest body accepted, in bytes (default 5 MiB). */
  maxBytes?: number
  /**
   * (1.2) Secrets carried in the address itself (a Discord webhook's token is a path
   * segment): replaced by [redacted] wherever the client reports the URL (errors, logs).
   */
  redact?: string[]
  /**
   * (1.13) false for a health check (a ServiceType's test, a monitor's poll): every call
   * is made even while the service's breaker is open, and its failures do not open it. A
   * check must see the outage as it is, not "not trying again for 20 s".
   */
  breaker?: boolean
  /** (1.13) How often a GET that got no answer, a 5xx or a 429 is tried again (0–2, default 2). */
  retries?: number
}
export interface UpstreamRequest<T> {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  headers?: Record<string, string>
  schema?: z.ZodType<T>
  timeoutMs?: number
  signal?: AbortSignal
  /** Statuses (besides 2xx) whose body is returned rather than thrown. */
  accept?: number[]
  /** (1.13) Largest body accepted for this call, in bytes (default: the client's maxBytes). */
  maxBytes?: number
  /** (1.13) 'json' (the default): JSON parsed (and checked by `schema`), other text as a string. For bytes see UpstreamBytesRequest. */
  responseType?: 'json'
}
/**
 * (1.13) A call whose answer is the body's bytes as they came (an image, a file): counted
 * against maxBytes while it is read, never parsed. `data` is a Buffer; check its
 * Content-Type in `headers` before passing it on.
 */
export interface UpstreamBytesRequest extends Omit<UpstreamRequest<Buffer>, 'schema' | 'responseType'> {
  responseType: 'bytes'
}
export interface UpstreamResponse<T> { status: number; data: T; headers: Headers }
export interface UpstreamClient {
  request(req: UpstreamBytesRequest): Promise<UpstreamResponse<Buffer>>
  request<T = unknown>(req: UpstreamRequest<T>): Promise<UpstreamResponse<T>>
  get<T = unknown>(path: string, schema?: z.ZodType<T>, req?: Omit<UpstreamRequest<T>, 'path' | 'schema'>): Promise<T>
}
export interface Secrets {
  encrypt(plaintext: string, associatedData: string): string
  decrypt(sealed: string, associatedData: string): string
}
/** A service type as other plugins see it: what it is and who owns it, not how it is checked. */
export interface ServiceTypeInfo { name: string; label: string; plugin: string; fields: ServiceField[]; fallback: boolean }
export interface ServiceCheckOptions {
  signal?: AbortSignal
  /** Longest the check may take (default 10 s); the result then says it timed out. */
  timeoutMs?: number
}
export interface Services {
  /** One service config by name, key decrypted; null when absent. */
  get(serviceName: string): Promise<ServiceConfigRecord | null>
  /** Every configured service, by name; (1.13) with a type, only the services of that kind ('overseerr': "overseerr" and "overseerr-4k"). */
  list(type?: string): Promise<ServiceConfigRecord[]>
  /** The service types the running plugins own (1.1). */
  types(): ServiceTypeInfo[]
  /**
   * Runs the owning plugin's test() on the configured service, bounded in time, without
   * importing that plugin (1.1). Never throws for an upstream failure: the result says it.
   */
  check(serviceName: string, options?: ServiceCheckOptions): Promise<ServiceTestResult>
  /**
   * Creates or updates a service of a type this plugin owns (e.g. the server an owner
   * picked during setup), sealing the key, emitting `core.service.updated` (1.2). A type
   * the plugin does not own is refused, and so is a name a service of another kind holds.
   */
  save(serviceName: string, input: ServiceSave, options?: { actorId?: string | null }): Promise<ServiceConfigRecord>
}
export interface ServiceSave {
  /** (1.13) The kind, a type this plugin owns; default: the service's name (save('plex', …) is a 'plex'). */
  type?: string
  /** http(s) only. */
  url: string
  /** A new key; omit to keep the stored one (it is dropped when the address moves to another server). */
  apiKey?: string | null
  enabled?: boolean
}
export type UserStatus = 'active' | 'suspended'
/** A user as plugins may read them: never a hash or a token. (1.1) */
export interface PublicUser {
  id: string
  email: string
  name: string | null
  role: Role
  status: UserStatus
  image: string | null
  createdAt: Date
  /** (1.12) The person proved the address reaches them (followed the link mailed to it). */
  emailVerified: boolean
  /** Linked sign-in accounts, e.g. { provider: 'plex', providerAccountId: '1234' }. */
  accounts: Array<{ provider: string; providerAccountId: string }>
}
export interface UserQuery {
  role?: Role
  status?: UserStatus
  /** At most 1000 ids. */
  ids?: string[]
}
/** (1.4) Read inside this transaction: on PGlite, the only way to read from inside one. */
export interface ReadOptions { trx?: Knex.Transaction }
/** (1.12) A page of users: `after` is the previous page's `next`; `limit` 1–1000 (default 1000). */
export interface UserPageQuery extends Omit<UserQuery, 'ids'> {
  after?: string
  limit?: number
}
export interface UserPage { users: PublicUser[]; next: string | null }
export interface Users {
  get(id: string, options?: ReadOptions): Promise<PublicUser | null>
  /** Oldest first, at most 1000. */
  list(query?: UserQuery, options?: ReadOptions): Promise<PublicUser[]>
  /**
   * (1.12) Every matching user, however many, a page at a time in a stable order (by id,
   * so a user added or removed meanwhile moves no one else between pages). `next` is null
   * on the last page; pass it as `after` for the following one.
   */
  page(query?: UserPageQuery, options?: ReadOptions): Promise<UserPage>
}
/** (1.12) One mail to one person. */
export interface MailMessage {
  /** One plain address (name@example.com): no display name, no second address, no line break. */
  to: string
  /** One line; cut to 200 characters. */
  subject: string
  text: string
  /** The same message as HTML (render it with ctx.views.render); mail clients show it when they can. */
  html?: string
  /** Notification mail: the page where the recipient stops this kind of mail (a List-Unsubscribe header; the page asks, then stops). */
  unsubscribeUrl?: string
  /** Queue it inside this transaction: it is sent only if the transaction commits. */
  trx?: Knex.Transaction
}
export type MailQueued = { queued: true; id: string } | { queued: false; why: 'not-configured' | 'rate-limited' }
/**
 * (1.12) Outgoing mail through the admin's SMTP server (config `mail`). send() queues a
 * durable job and returns at once; the server's 4xx is tried again, its 5xx fails. With no
 * mail configured it queues nothing and says so: check `configured` to show the person why.
 * Each address gets at most `mail.perRecipientPerHour` mails, across every plugin.
 */
export interface Mail {
  readonly configured: boolean
  send(message: MailMessage): Promise<MailQueued>
  /** Why send() would refuse this address, in words for a form; null for one plain address. */
  addressProblem(to: string): string | null
}
/** A provider's credentials for one account, sealed at rest by the core. */
export interface ProviderTokens {
  accessToken?: string | null
  refreshToken?: string | null
  idToken?: string | null
  /** Seconds since the epoch, as OAuth gives it. */
  expiresAt?: number | null
  tokenType?: string | null
  scope?: string | null
}
export interface ProviderAccount {
  /** One of the plugin's identityProviders. */
  provider: string
  providerAccountId: string
  /** Required: an account without an email address cannot be created or linked. */
  email: string | null
  /** Only a provider-confirmed email may link to an existing user with that email. */
  emailVerified: boolean
  name?: string | null
  /** http(s) only; anything else is dropped. */
  image?: string | null
  /** The provider's user name, e.g. a Plex username. */
  username?: string | null
  tokens?: ProviderTokens
  /** ADMIN is granted only while no active admin exists (an owner's first sign-in). */
  role?: Role
}
export interface LinkResult {
  user: PublicUser
  /** A new user row was made. */
  created: boolean
  /** An existing user (found by confirmed email) got this provider account. */
  linked: boolean
}
export interface SignInOptions {
  /** The provider the person signed in with; the session remembers it. */
  method: string
  /** Where to go next; checked like the password form's `next` (local paths only). */
  next?: string
}
/** Sign-in by a plugin: the core does the rest exactly as the password form does (1.1). */
export interface Identity {
  findByAccount(provider: string, providerAccountId: string): Promise<PublicUser | null>
  /**
   * Finds the user of this provider account, else links an existing user by a confirmed
   * email, else creates one; updates the profile and seals the tokens. Refuses (Forbidden)
   * a suspended user, and (Conflict) an unconfirmed email that another user has; creates
   * nothing then.
   */
  linkOrCreate(account: ProviderAccount, options?: LinkOptions): Promise<LinkResult>
  /** Starts a session (new cookie, rotated), records last_login_at, audits, redirects (303 or HX-Redirect). */
  signIn(req: Request, res: Response, userId: string, options: SignInOptions): Promise<void>
  /** The decrypted tokens of one account of the plugin's provider, or null. */
  tokens(provider: string, providerAccountId: string): Promise<ProviderTokens | null>
  /** Every account of the plugin's provider (for periodic re-checks). */
  accounts(provider: string): Promise<Array<{ userId: string; providerAccountId: string }>>
  /** Ends a user's sessions that were signed in with this provider; returns how many. */
  endSessions(userId: string, provider: string): Promise<number>
  /**
   * True while this browser holds a live owner-first setup grant: it passed the setup
   * code on /setup, the code is unused and no active admin exists (1.2).
   */
  setupGrant(req: Request): Promise<boolean>
  /**
   * Sends the browser back to /login (303, or HX-Redirect for htmx) where `message`
   * shows once as the reason, above the ways to sign in (1.2). Plain text, at most 500
   * characters; `next` is kept when it is a local path.
   */
  refuse(req: Request, res: Response, message: string, options?: { next?: unknown }): void
}
export interface LinkOptions {
  /**
   * The request of an owner-first setup (1.2): with a live setup grant, the user becomes
   * ADMIN and the setup code is used up in the same transaction; without one, nothing is
   * written and a Forbidden says the setup code is needed.
   */
  setup?: Request
}
/**
 * The host's time (1.3): take "now" and wait between polls through it, never Date.now()
 * or setTimeout, so tests move time instead of sleeping and every plugin sees one time.
 * Elapsed real time (a response time, a throttle) stays performance.now().
 */
export interface Clock {
  now(): Date
  /** now() in milliseconds since the epoch. */
  nowMs(): number
  /** Resolves after `ms` of the host's time (sooner when a test moves it); rejects with the signal's reason on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export interface PluginContext<C = Record<string, unknown>> {
  plugin: { name: string; version: string; dir: string }
  /**
   * (1.8) A folder of your own under the data folder (`<dataDir>/plugins/<name>`), for
   * files that outlive a restart (a cache on disk). It exists from start() on; every
   * process of a cluster shares it, so write a file under a temporary name and rename it.
   */
  dataDir: string
  config: Readonly<C>
  log: Logger
  db: Knex
  views: Views
  http: HttpTools
  jobs: Jobs
  events: Events
  live: Live
  upstream(options: UpstreamOptions): UpstreamClient
  secrets: Secrets
  services: Services
  /** Read-only: who is here (1.1). */
  users: Users
  /** Outgoing mail (1.12). */
  mail: Mail
  /** Sign-in by a plugin, for its identityProviders (1.1). */
  identity: Identity
  /** The host's time (1.3). */
  clock: Clock
  /**
   * (1.4) Holds `key` (namespaced by your plugin) until `trx` ends: transactions that take
   * the same key run one after another, in every process. For a per-person cap, lock on
   * the person, count, then insert: counting alone lets two at once both pass.
   */
  lock(trx: Knex.Transaction, key: string): Promise<void>
  /**
   * (1.4) Per-person data a nav entry or widget shows on every page, kept in memory by
   * each process so a warm page costs no query for it. Call invalidate(personId) after
   * every change to what load() reads: every process drops that entry. Make it once, in
   * register(); `name` is unique within your plugin.
   */
  viewerCache<T>(name: string, options: ViewerCacheOptions<T>): ViewerCache<T>
  use<T>(ref: ServiceRef<T>): T
  onStop(fn: () => Promise<void> | void): void
}

// ---------- demo data: `medianest seed demo`

/** A demo user the core seed made (or found, on a re-run); plugin seeds hang their rows on these. */
export interface SeedUser {
  id: string
  email: string
  name: string | null
  role: Role
  /** True when this run created the user: a seed that adds rows only for these stays idempotent. */
  created: boolean
}
/** What `<plugin>/seeds/demo.ts`'s `seed(ctx)` receives. */
export interface SeedContext<C = Record<string, unknown>> {
  plugin: { name: string; version: string; dir: string }
  config: Readonly<C>
  /** A transaction: the core's demo rows and every plugin's commit together or not at all. */
  db: Knex
  secrets: Secrets
  log: Logger
  /** The demo admin first, then the demo users. */
  users: SeedUser[]
}
export type SeedFunction<C = Record<string, unknown>> = (ctx: SeedContext<C>) => Promise<void>

// ---------- the plugin itself

export interface PluginDefinition<S extends z.ZodType = z.ZodType> {
  /** One id everywhere: folder, config key, route prefix, view namespace, log label. */
  name: string
  version: string
  /** The range of PLUGIN_API_VERSION this plugin was written for, e.g. '^1.0.0'. */
  api: string
  description?: string
  dependsOn?: string[]
  /** First-party plugins only: whether an absent config entry means enabled (default true). */
  enabledByDefault?: boolean
  config?: S
  migrations?: URL | string
  views?: URL | string
  /** Demo data for your tables: `seeds/demo.ts` exporting `seed(ctx: SeedContext)`. */
  seeds?: URL | string
  tables?: string[]
  register(ctx: PluginContext<z.output<S>>): Contributions
  start?(ctx: PluginContext<z.output<S>>): Promise<void>
  stop?(ctx: PluginContext<z.output<S>>): Promise<void>
  /** Longest start() or stop() may take (default '30s'). */
  lifecycleTimeout?: Duration
}

const PLUGIN_MARK = Symbol.for('medianest.plugin')

export function definePlugin<S extends z.ZodType>(definition: PluginDefinition<S>): PluginDefinition<S> {
  return Object.freeze({ ...definition, [PLUGIN_MARK]: true })
}
export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_MARK] === true
}
