// A loopback Uptime Kuma for the monitor plugin's tests. It speaks CONTRACTS.md
// "Uptime Kuma" in whichever version a test picks, because the versions disagree and a
// fake kinder than the real service hides bugs:
// - 1.23 and 2.0 send `incident` (one or null); 2.5 sends `incidents: []`.
// - an unknown slug hangs in 1.23 (the router returns without answering) and answers
//   404 in 2.x; its heartbeat list answers 200 with empty lists (a configuration
//   problem, never "all up").
// - heartbeat `time` is UTC written without a zone ("2026-11-24 16:00:00.000"), the
//   public `msg` is always empty, and `ping` may be null or -1.
// - `/metrics` takes basic auth with an API key as the password; once a key exists, the
//   admin login gets 401.
// - like Kuma's single-page app, any other GET answers 200 with HTML, so a client that
//   gets a path wrong meets HTML where it expected JSON.
// - with `cache`, the status page and heartbeat JSON are served from a copy as Kuma's
//   apicache does (5 and 1 minutes on a real 2.5.3; shorter in tests), so a DOWN
//   reaches a poller late.
// Monitors in a non-public group are "private": absent from the status page and its
// heartbeats, present in /metrics, N/A on their badge.
import http from 'node:http'
import crypto from 'node:crypto'
import { listenOnLoopback, stopAtOnce, type RecordedRequest } from './fake-server.ts'

export type KumaVersion = '1.23' | '2.0' | '2.5'
export const HeartbeatStatus = { DOWN: 0, UP: 1, PENDING: 2, MAINTENANCE: 3 } as const
export type SlugState = 'present' | 'missing' | 'hang'

export interface MonitorInput {
  name: string
  type?: string
  url?: string | null
  hostname?: string | null
  port?: number | null
  /** The status page group it shows in; `public: false` keeps it off the page. */
  group?: string
  public?: boolean
  /** Push monitors answer at /api/push/{pushToken}. */
  pushToken?: string
  /** Days left on the TLS certificate (https monitors); adds the cert metrics. */
  certDaysRemaining?: number
  /** A first heartbeat, so the monitor starts up, down or pending. */
  status?: number
}

export interface HeartbeatInput {
  status: number
  /** null and -1 both mean "no figure", as Kuma sends them. */
  ping?: number | null
  /** A Date is written as Kuma stores it (UTC, no zone); a string is sent as given. */
  time?: Date | string
  /** Kept for /metrics realism only: the public heartbeat msg is always empty. */
  msg?: string
}

export interface IncidentInput { title: string; content: string; style?: 'info' | 'warning' | 'danger' | 'primary' | 'light' | 'dark' }

export interface FakeUptimeKuma {
  url: string
  slug: string
  /** The API key (`uk<id>_<secret>`) /metrics accepts as the basic-auth password; null when none exists. */
  apiKey: string | null
  admin: { username: string; password: string }
  requests: RecordedRequest[]
  close(): Promise<void>
  /** Adds a monitor and returns its id. */
  addMonitor(monitor: MonitorInput): number
  pushHeartbeat(monitorId: number, beat: HeartbeatInput): void
  /** Overrides the 24 h uptime ratio (0..1) the heartbeat endpoint reports. */
  setUptime(monitorId: number, ratio: number): void
  /** Chooses the shape: `incident` (1.23, 2.0) or `incidents` (2.5), and how an unknown slug behaves. */
  setVersion(version: KumaVersion): void
  /** 'missing' behaves as this version does for an unknown slug; 'hang' never answers for it. */
  setSlug(state: SlugState): void
  addIncident(incident: IncidentInput): void
  clearIncidents(): void
  /** null removes every key, so the admin login works on /metrics again. */
  setApiKey(key: string | null): void
  /** Refuses connections until `recover()`. */
  down(): Promise<void>
  /** Accepts requests and never answers (close() still ends them), or answers after `delayMs`. */
  slow(delayMs?: number): void
  /** Answers every request with this status and Kuma's `{ "ok": false, "msg": … }`. */
  status(code: number, message?: string): void
  /** Answers 200 application/json with a body cut short (not JSON). */
  garbage(): void
  /** Back to normal: listening again (same port) and answering. */
  recover(): Promise<void>
}

interface Monitor extends Required<Omit<MonitorInput, 'status' | 'pushToken' | 'certDaysRemaining'>> {
  id: number
  pushToken: string | null
  certDaysRemaining: number | null
  beats: Array<{ status: number; time: string; msg: string; ping: number | null }>
  uptime: number | null
}

type Failure = { kind: 'none' } | { kind: 'slow'; delayMs: number } | { kind: 'garbage' } | { kind: 'status'; code: number; message: string }

/** Kuma's stored form: UTC, millisecond precision, a space for the T, and no zone. */
export function kumaTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '')
}

const SPA_HTML = '<!DOCTYPE html><html lang="en"><head><title>Uptime Kuma</title></head><body><div id="app"></div></body></html>'
const STATUS_WORD: Record<number, string> = { 0: 'Down', 1: 'Up', 2: 'Pending', 3: 'Maintenance' }

// prom-client escapes these in label values; a name with a quote must not break a parser.
const label = (value: string | number | null) => String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

export interface FakeUptimeKumaOptions {
  version?: KumaVersion
  slug?: string
  title?: string
  /** null: no API key exists, so /metrics takes the admin login. */
  apiKey?: string | null
  /** Milliseconds Kuma serves a copy of each JSON answer for (off by default). */
  cache?: { statusPageMs: number; heartbeatMs: number }
}

export async function startFakeUptimeKuma(options: FakeUptimeKumaOptions = {}): Promise<FakeUptimeKuma> {
  let version: KumaVersion = options.version ?? '2.0'
  const slug = (options.slug ?? 'medianest').toLowerCase()
  const title = options.title ?? 'MediaNest'
  let apiKey = options.apiKey === undefined ? `uk1_${crypto.randomBytes(24).toString('base64url')}` : options.apiKey
  const admin = { username: 'admin', password: 'admin-password-1' }
  const requests: RecordedRequest[] = []
  const monitors = new Map<number, Monitor>()
  const incidents: Array<IncidentInput & { id: number; createdDate: string }> = []
  let slugState: SlugState = 'present'
  let failure: Failure = { kind: 'none' }
  let isDown = false
  let nextMonitorId = 1

  const visible = () => [...monitors.values()].filter((m) => m.public)

  function uptimeOf(m: Monitor): number {
    if (m.uptime !== null) return m.uptime
    const counted = m.beats.filter((b) => b.status !== HeartbeatStatus.PENDING)
    return counted.length ? counted.filter((b) => b.status !== HeartbeatStatus.DOWN).length / counted.length : 0
  }

  function statusPage() {
    const groups = new Map<string, Monitor[]>()
    for (const m of visible()) groups.set(m.group, [...(groups.get(m.group) ?? []), m])
    const incidentJson = (i: (typeof incidents)[number]) => ({
      id: i.id, style: i.style ?? 'warning', title: i.title, content: i.content, pin: true, createdDate: i.createdDate, lastUpdatedDate: null,
    })
    const incident = version === '2.5' ? { incidents: incidents.map(incidentJson) } : { incident: incidents.length ? incidentJson(incidents.at(-1)!) : null }
    return {
      config: {
        slug, title, description: null, icon: '/icon.svg', theme: 'auto', published: true, showTags: false, domainNameList: [],
        customCSS: 'body {\n  \n}\n', footerText: null, showPoweredBy: true, googleAnalyticsId: null, showCertificateExpiry: false, autoRefreshInterval: 300,
      },
      ...incident,
      publicGroupList: [...groups].map(([name, list], i) => ({
        id: i + 1, name, weight: i + 1, monitorList: list.map((m) => ({ id: m.id, name: m.name, sendUrl: 0, type: m.type })),
      })),
      maintenanceList: [],
    }
  }

  function heartbeats(known: boolean) {
    const heartbeatList: Record<string, unknown[]> = {}
    const uptimeList: Record<string, number> = {}
    for (const m of known ? visible() : []) {
      heartbeatList[m.id] = m.beats.slice(-100).map((b) => ({ status: b.status, time: b.time, msg: '', ping: b.ping }))
      uptimeList[`${m.id}_24`] = uptimeOf(m)
    }
    return { heartbeatList, uptimeList }
  }

  function metrics(): string {
    const labels = (m: Monitor) =>
      `{monitor_name="${label(m.name)}",monitor_type="${label(m.type)}",monitor_url="${label(m.url)}",monitor_hostname="${label(m.hostname)}",monitor_port="${label(m.port)}"}`
    const all = [...monitors.values()]
    const last = (m: Monitor) => m.beats.at(-1)
    const withBeat = all.filter((m) => last(m))
    const withCert = all.filter((m) => m.certDaysRemaining !== null)
    return [
      '# HELP process_cpu_user_seconds_total Total user CPU time spent in seconds.',
      '# TYPE process_cpu_user_seconds_total counter',
      'process_cpu_user_seconds_total 12.345',
      '# HELP monitor_cert_days_remaining The number of days remaining until the certificate expires',
      '# TYPE monitor_cert_days_remaining gauge',
      ...withCert.map((m) => `monitor_cert_days_remaining${labels(m)} ${m.certDaysRemaining}`),
      '# HELP monitor_cert_is_valid Is the certificate still valid? (1 = Yes, 0= No)',
      '# TYPE monitor_cert_is_valid gauge',
      ...withCert.map((m) => `monitor_cert_is_valid${labels(m)} ${m.certDaysRemaining! > 0 ? 1 : 0}`),
      '# HELP monitor_response_time Monitor Response Time (ms)',
      '# TYPE monitor_response_time gauge',
      ...withBeat.map((m) => `monitor_response_time${labels(m)} ${last(m)!.ping ?? -1}`),
      '# HELP monitor_status Monitor Status (1 = UP, 0= DOWN, 2= PENDING, 3= MAINTENANCE)',
      '# TYPE monitor_status gauge',
      ...withBeat.map((m) => `monitor_status${labels(m)} ${last(m)!.status}`),
      '',
    ].join('\n')
  }

  function metricsAllowed(authorization: string | undefined): boolean {
    const match = /^Basic (.+)$/i.exec(authorization ?? '')
    if (!match) return false
    const decoded = Buffer.from(match[1], 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return false
    const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)]
    if (apiKey !== null) return password === apiKey
    return user === admin.username && password === admin.password
  }

  function badge(m: Monitor | undefined): string {
    const last = m?.public ? m.beats.at(-1) : undefined
    const message = last ? STATUS_WORD[last.status] ?? 'N/A' : 'N/A'
    return `<svg xmlns="http://www.w3.org/2000/svg" width="90" height="20" role="img" aria-label="Status: ${message}"><title>Status: ${message}</title>` +
      `<text x="5" y="14" font-size="11">Status: ${message}</text></svg>`
  }

  function pushBeat(m: Monitor, beat: HeartbeatInput): void {
    const time = beat.time === undefined ? kumaTime(new Date()) : typeof beat.time === 'string' ? beat.time : kumaTime(beat.time)
    m.beats.push({ status: beat.status, time, msg: beat.msg ?? '', ping: beat.ping === undefined ? null : beat.ping })
    // Kuma reads the newest 100 by time and sends them oldest first.
    m.beats.sort((a, b) => a.time.localeCompare(b.time))
  }

  type Answer = { status: number; type: string; body: string } | 'hang'
  const json = (status: number, body: unknown): Answer => ({ status, type: 'application/json; charset=utf-8', body: JSON.stringify(body) })

  // apicache keeps 200s only, keyed by the URL as sent.
  const cached = new Map<string, { until: number; answer: Answer }>()
  function cachedRoute(method: string, url: string, path: string, rawQuery: string, headers: http.IncomingHttpHeaders): Answer {
    const ms = !options.cache || method !== 'GET' ? 0
      : path.startsWith('/api/status-page/heartbeat/') ? options.cache.heartbeatMs
        : path.startsWith('/api/status-page/') ? options.cache.statusPageMs : 0
    const hit = cached.get(url)
    if (ms && hit && hit.until > Date.now()) return hit.answer
    const answer = route(method, path, rawQuery, headers)
    if (ms && answer !== 'hang' && answer.status === 200) cached.set(url, { until: Date.now() + ms, answer })
    return answer
  }

  function route(method: string, path: string, rawQuery: string, headers: http.IncomingHttpHeaders): Answer {
    let m: RegExpExecArray | null
    if (method === 'GET' && (m = /^\/api\/status-page\/heartbeat\/([^/]+)$/.exec(path))) {
      const known = decodeURIComponent(m[1]).toLowerCase() === slug && slugState === 'present'
      if (!known && slugState === 'hang') return 'hang'
      return json(200, heartbeats(known))
    }
    if (method === 'GET' && (m = /^\/api\/status-page\/([^/]+)$/.exec(path))) {
      const known = decodeURIComponent(m[1]).toLowerCase() === slug && slugState === 'present'
      if (known) return json(200, statusPage())
      if (version === '1.23' || slugState === 'hang') return 'hang'
      return json(404, { status: 'fail', msg: 'Status Page Not Found' })
    }
    if (method === 'GET' && path === '/metrics') {
      if (!metricsAllowed(headers.authorization)) return { status: 401, type: 'text/plain; charset=utf-8', body: '' }
      return { status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: metrics() }
    }
    if (method === 'GET' && (m = /^\/api\/badge\/(\d+)\/status$/.exec(path))) {
      return { status: 200, type: 'image/svg+xml; charset=utf-8', body: badge(monitors.get(Number(m[1]))) }
    }
    if (method === 'GET' && (m = /^\/api\/push\/([^/]+)$/.exec(path))) {
      const token = decodeURIComponent(m[1])
      const monitor = [...monitors.values()].find((x) => x.pushToken === token)
      if (!monitor) return json(404, { ok: false, msg: 'Monitor not found or not active.' })
      const q = new URLSearchParams(rawQuery)
      const ping = q.get('ping')
      pushBeat(monitor, { status: q.get('status') === 'down' ? HeartbeatStatus.DOWN : HeartbeatStatus.UP, msg: q.get('msg') ?? 'OK', ping: ping ? Number(ping) : null })
      return json(200, { ok: true })
    }
    if (method === 'GET') return { status: 200, type: 'text/html; charset=utf-8', body: SPA_HTML }
    return json(404, { ok: false, msg: 'Not Found' })
  }

  const hanging = new Set<http.ServerResponse>()
  const timers = new Set<NodeJS.Timeout>()
  const hang = (res: http.ServerResponse) => { hanging.add(res); res.on('close', () => hanging.delete(res)) }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')))
  })

  function answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const rawQuery = q < 0 ? '' : url.slice(q + 1)
    requests.push({ method: req.method ?? 'GET', path, query: Object.fromEntries(new URLSearchParams(rawQuery)), url, headers: req.headers, body })

    if (failure.kind === 'slow' && !Number.isFinite(failure.delayMs)) return hang(res)
    if (failure.kind === 'garbage') return void res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end('{"heartbeatList": {"1": [')
    if (failure.kind === 'status') {
      return void res.writeHead(failure.code, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify({ ok: false, msg: failure.message }))
    }
    let routed: Answer
    try {
      routed = cachedRoute(req.method ?? 'GET', url, path, rawQuery, req.headers)
    } catch (e) {
      // A bug in the fake becomes a 500 that names it, not a crashed test run.
      routed = json(500, { ok: false, msg: `fake Uptime Kuma bug: ${(e as Error).stack}` })
    }
    if (routed === 'hang') return hang(res)
    const send = (a: Exclude<Answer, 'hang'>) => {
      if (res.destroyed) return
      res.writeHead(a.status, { 'Content-Type': a.type, ...(a.status === 401 ? { 'WWW-Authenticate': 'Basic' } : {}) }).end(a.body)
    }
    if (failure.kind !== 'slow') return send(routed)
    const timer = setTimeout(() => { timers.delete(timer); send(routed) }, failure.delayMs)
    timers.add(timer)
  }

  const listen = (at: number) => listenOnLoopback(server, at)
  const stop = () => stopAtOnce(server, timers)
  const port = await listen(0)
  const monitorOf = (id: number) => {
    const monitor = monitors.get(id)
    if (!monitor) throw new Error(`fake Uptime Kuma has no monitor ${id}`)
    return monitor
  }

  const fake: FakeUptimeKuma = {
    url: `http://127.0.0.1:${port}`,
    slug,
    apiKey,
    admin,
    requests,
    close: stop,
    addMonitor(input) {
      const id = nextMonitorId++
      const monitor: Monitor = {
        id, name: input.name, type: input.type ?? 'http', url: input.url ?? null, hostname: input.hostname ?? null, port: input.port ?? null,
        group: input.group ?? 'Services', public: input.public ?? true, pushToken: input.pushToken ?? null,
        certDaysRemaining: input.certDaysRemaining ?? null, beats: [], uptime: null,
      }
      monitors.set(id, monitor)
      if (input.status !== undefined) pushBeat(monitor, { status: input.status, ping: input.status === HeartbeatStatus.UP ? 35 : null })
      return id
    },
    pushHeartbeat(monitorId, beat) { pushBeat(monitorOf(monitorId), beat) },
    setUptime(monitorId, ratio) { monitorOf(monitorId).uptime = ratio },
    setVersion(v) { version = v },
    setSlug(state) { slugState = state },
    addIncident(incident) { incidents.push({ ...incident, id: incidents.length + 1, createdDate: kumaTime(new Date()) }) },
    clearIncidents() { incidents.length = 0 },
    setApiKey(key) { apiKey = key; fake.apiKey = key },
    async down() {
      failure = { kind: 'none' }
      isDown = true
      await stop()
    },
    slow(delayMs = Infinity) { failure = { kind: 'slow', delayMs } },
    status(code, message = 'Internal Server Error') { failure = { kind: 'status', code, message } },
    garbage() { failure = { kind: 'garbage' } },
    async recover() {
      failure = { kind: 'none' }
      for (const res of hanging) res.destroy()
      if (isDown) { isDown = false; await listen(port) }
    },
  }
  return fake
}
