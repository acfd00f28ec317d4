// The install people get: MediaNest as `npm start` runs it by default — all five
// first-party plugins on, PostgreSQL, NODE_ENV=production — with the data a lived-in
// install has (10,000 media requests over 200 people, thousands of notifications, 50
// watched services with 90 days of history, 200 YouTube downloads), measured against a
// bare Express "hello" in the same run. For each signed-in page: requests/s and p99 under
// load, the database round trips one request costs, and the process's memory.
//
//   NODE_ENV=production node --import tsx bench/install.ts     from the sources
//   node build/bench/install.js                                 the compiled build
//
// The database: DATABASE_URL (an empty one), else a fresh `medianest_bench_<pid>` on the
// local server (BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432/postgres),
// dropped at the end; BENCH_DB=pglite uses PGlite in a temporary folder instead. Knobs as
// bench/run.ts: BENCH_CONNECTIONS (50), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2),
// BENCH_ROUNDS (1; more interleave the targets and report medians and min–max).
// Run by hand, never in CI: it is a measurement, so it exits 0 whether the targets are met.
import { AsyncLocalStorage } from 'node:async_hooks'
import fs from 'node:fs'
import type http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Knex } from 'knex'
import type { MediaNest } from '../core/server.ts'
import { generateMediaRequests } from '../seeds/media-requests.ts'
import { rollUp } from '../plugins/monitor/rollups.ts'
import { floorHour, DAY_MS, HOUR_MS } from '../plugins/monitor/uptime.ts'
import { alignColumns, bareExpress, benchMediaNest, freshPostgres, loadFromEnv, measure, median, signIn, type BenchDatabase, type Result, type Target } from './harness.ts'
import { EVERY_CACHE, VIEWER_CACHE_CHANNEL } from '../core/viewer-cache.ts'

const LOAD = loadFromEnv(50)
/** Sequential warm requests per page whose database queries are counted. */
const COUNTED = 20
export const FIRST_PARTY = ['plex-auth', 'overseerr', 'youtube', 'monitor', 'notifications']
/** The issue's targets (28, item 2). */
const GOAL = { dashboard: 0.5, dashboardP99: 2, page: 0.35, roundTrips: 2 }

export const SCALE = { people: 200, requests: 10_000, viewerNotifications: 1000, othersNotifications: 20, services: 50, downServices: 5, historyDays: 90, downloads: 200, viewerDownloads: 20 }

// ---------------------------------------------------------------------------------------
// The database

export async function freshDatabase(): Promise<BenchDatabase> {
  if (process.env.BENCH_DB === 'pglite') return { url: undefined, label: 'PGlite (embedded, a temporary folder)', drop: async () => {} }
  return freshPostgres('medianest_bench')
}

// ---------------------------------------------------------------------------------------
// What the monitor watches: 45 checks of an address that accepts a TCP connection and 5 of
// one that refuses it, run for real every 60 s (the default) during the run, as an install's are.

export async function checkTargets(): Promise<{ up: string; down: string; close(): Promise<void> }> {
  const listen = (server: net.Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)))
  const accepting = net.createServer((socket) => socket.destroy())
  const upPort = await listen(accepting)
  // A port that was free a moment ago refuses connections.
  const spare = net.createServer()
  const downPort = await listen(spare)
  await new Promise((resolve) => spare.close(resolve))
  return {
    up: `127.0.0.1:${upPort}`,
    down: `127.0.0.1:${downPort}`,
    close: () => new Promise<void>((resolve) => accepting.close(() => resolve())),
  }
}

const serviceName = (i: number) => `svc-${String(i).padStart(2, '0')}`
/** The last `downServices` services are the ones down. */
const isDown = (i: number) => i > SCALE.services - SCALE.downServices

export function pluginConfig(dataDir: string, targets: { up: string; down: string }): Record<string, unknown> {
  const checks = Array.from({ length: SCALE.services }, (_, k) => {
    const i = k + 1
    return { name: serviceName(i), label: `Service ${String(i).padStart(2, '0')}`, tcp: isDown(i) ? targets.down : targets.up }
  })
  // Every first-party plugin keeps its default (on); youtube and monitor get what they
  // need to start without real upstreams.
  return {
    youtube: { config: { ytDlpPath: '/usr/bin/yt-dlp', libraryPath: path.join(dataDir, 'youtube') } },
    monitor: { config: { checks } },
  }
}

// ---------------------------------------------------------------------------------------
// The data, written straight into each plugin's tables in a few set-based statements.

async function seedPeople(db: Knex): Promise<string[]> {
  const { rows } = await db.raw<{ rows: Array<{ id: string }> }>(
    `insert into users (email, name, role, created_at)
     select 'person-' || n || '@medianest.example', 'Person ' || n, 'USER', now() - n * interval '1 day'
     from generate_series(1, ?::int) n returning id`, [SCALE.people - 1])
  return rows.map((r) => r.id)
}

async function seedRequests(db: Knex, viewerId: string, others: string[]): Promise<void> {
  // Spread evenly over the list: the viewer is in it twice, so they own ~2/201 of the rows.
  await generateMediaRequests(db, { rows: SCALE.requests, userIds: [...others, viewerId, viewerId] })
}

async function seedNotifications(db: Knex, viewerId: string, others: string[]): Promise<void> {
  const kinds = `(array['overseerr.request.completed', 'overseerr.request.approved', 'youtube.download.completed', 'monitor.incident.opened'])[1 + g % 4]`
  const titles = `(array['Available in Plex', 'Request approved', 'Download finished', 'Service 47 is down'])[1 + g % 4]`
  const links = `(array['/overseerr/requests', '/overseerr/requests', '/youtube', '/monitor'])[1 + g % 4]`
  const plugins = `(array['overseerr', 'overseerr', 'youtube', 'monitor'])[1 + g % 4]`
  const row = (user: string, read: string) => `select ${user}, ${kinds}, ${titles}, 'Bench notification ' || g || ' for you to read.', ${read},
      now() - g * interval '43 minutes', case when ${read} then now() - g * interval '43 minutes' + interval '5 minutes' end,
      jsonb_build_object('link', ${links}, 'plugin', ${plugins}), 'bench-' || g`
  const columns = 'insert into notifications (user_id, type, title, message, read, created_at, read_at, metadata, fact_key)'
  // The viewer's: half unread (every other one, so each page mixes both).
  await db.raw(`${columns} ${row('?::uuid', 'g % 2 = 0')} from generate_series(1, ?::int) g`, [viewerId, SCALE.viewerNotifications])
  await db.raw(`${columns} ${row('u.id', 'g % 3 <> 0')} from unnest(?::uuid[]) u(id) cross join generate_series(1, ?::int) g`,
    [`{${others.join(',')}}`, SCALE.othersNotifications])
}

async function seedMonitor(db: Knex, now: Date): Promise<void> {
  const names = Array.from({ length: SCALE.services }, (_, k) => `check:${serviceName(k + 1)}`)
  const list = `{${names.join(',')}}`
  const lastHour = floorHour(now)
  const rawFrom = new Date(lastHour.getTime() - DAY_MS)
  const downSince = new Date(now.getTime() - 2 * HOUR_MS)
  // Hourly rollups for the 90 days before the last 24 h (an hour in 97 had a bad check);
  // raw rows for the last 24 h, one check a minute, rolled up below as the schedule would.
  await db.raw(
    `insert into service_metrics_hourly (service_name, hour, samples, up_count, avg_ms, p95_ms, max_ms)
     select s.name, h.hour, 60, case when (extract(epoch from h.hour)::bigint / 3600 + s.i * 7) % 97 = 0 then 57 else 60 end,
            15 + (s.i * 3 + extract(hour from h.hour)::int) % 30, 40 + s.i % 20, 80 + s.i % 40
     from unnest(?::text[]) with ordinality s(name, i)
     cross join generate_series(?::timestamptz, ?::timestamptz, interval '1 hour') h(hour)`,
    [list, new Date(lastHour.getTime() - SCALE.historyDays * DAY_MS), new Date(rawFrom.getTime() - HOUR_MS)])
  await db.raw(
    `insert into service_metrics (service_name, metric_name, metric_value, timestamp)
     select s.name, m.metric, case when m.metric = 'up' then u.up else 12 + (extract(epoch from t)::bigint / 60 + s.i) % 40 end, t
     from unnest(?::text[]) with ordinality s(name, i)
     cross join generate_series(?::timestamptz, ?::timestamptz, interval '1 minute') t
     cross join lateral (select case when s.i > ? and t >= ? then 0
                                     when (extract(epoch from t)::bigint / 60 + s.i * 13) % 211 = 0 then 0 else 1 end as up) u
     cross join (values ('up'), ('response_time_ms')) m(metric)
     where m.metric = 'up' or u.up = 1`,
    [list, rawFrom, now, SCALE.services - SCALE.downServices, downSince])
  await rollUp(db, now)
  // Two resolved incidents per service in the window, and the down ones' open incident.
  await db.raw(
    `insert into service_incidents (service_name, incident_type, description, severity, status, created_at, resolved_at)
     select s.name, 'down', 'Service failed 3 checks in a row: Refused the TCP connection.', 'medium', 'resolved',
            ?::timestamptz - (s.i * 11 + k * 29) * interval '1 day' / 2, ?::timestamptz - (s.i * 11 + k * 29) * interval '1 day' / 2 + interval '20 minutes'
     from unnest(?::text[]) with ordinality s(name, i) cross join generate_series(1, 2) k`,
    [now, now, list])
  await db.raw(
    `insert into service_incidents (service_name, incident_type, description, severity, status, created_at)
     select name, 'down', 'Service failed 3 checks in a row: Refused the TCP connection.', 'high', 'open', ?
     from unnest(?::text[]) name
     on conflict (service_name) where status = 'open' do nothing`,
    [downSince, `{${names.slice(-SCALE.downServices).join(',')}}`])
}

/**
 * After a round of checks over the seeded history (each check keeps the board's figures
 * on its status row, and the first round may have run before the history was there):
 * the down ones have been down two hours.
 */
async function settleMonitor(db: Knex, now: Date): Promise<void> {
  const deadline = performance.now() + 30_000
  const seeded = new Date()
  await db('service_status').update({ next_check_at: seeded })
  for (;;) {
    const [{ n }] = (await db.raw(`select count(*)::int as n from service_status where status is not null and last_check_at >= ?`, [seeded])).rows as Array<{ n: number }>
    if (n >= SCALE.services) break
    if (performance.now() > deadline) throw new Error(`The monitor checked ${n} of ${SCALE.services} services within 30 s of starting: is its schedule running?`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  await db('service_status').where({ status: 'down' })
    .update({ status_since: new Date(now.getTime() - 2 * HOUR_MS), consecutive_failures: 120 })
}

async function seedDownloads(db: Knex, viewerId: string, others: string[]): Promise<void> {
  // Every tenth is the viewer's (20 of 200): one running, one queued, a few failed or
  // cancelled, the rest finished; everyone else's in much the same mix. Rows only: no job is
  // queued for them, so nothing runs yt-dlp.
  const every = SCALE.downloads / SCALE.viewerDownloads
  const k = `(g / ${every})`
  const status = `case when g % ${every} = 0 then
      case when ${k} = 1 then 'downloading' when ${k} = 2 then 'queued' when ${k} % 6 = 3 then 'failed' when ${k} % 7 = 4 then 'cancelled' else 'completed' end
    else case when g % 40 = 7 then 'queued' when g % 40 = 17 then 'downloading' when g % 8 = 3 then 'failed' when g % 12 = 5 then 'cancelled' else 'completed' end end`
  await db.raw(
    `insert into youtube_downloads (user_id, playlist_url, playlist_title, status, file_paths, created_at, completed_at,
                                    kind, folder, archive_key, item_count, items_done, current_percent, error, plex_state)
     select case when g % ${every} = 0 then ?::uuid else (?::uuid[])[1 + g % ?::int] end,
            'https://www.youtube.com/playlist\\?list=PLbench' || g, 'Bench playlist ' || g, s.status,
            case when s.status = 'completed' then jsonb_build_array('Bench playlist ' || g || '/01.mkv', 'Bench playlist ' || g || '/02.mkv') end,
            now() - g * interval '7 hours', case when s.status = 'completed' then now() - g * interval '7 hours' + interval '20 minutes' end,
            'playlist', 'Bench playlist ' || g, gen_random_uuid(), 12,
            case s.status when 'completed' then 12 when 'downloading' then 5 else 0 end,
            case when s.status = 'downloading' then 41.5 end,
            case when s.status = 'failed' then 'yt-dlp exited with code 1: This video is unavailable.' end, 'none'
     from generate_series(1, ?::int) g cross join lateral (select ${status} as status) s`,
    [viewerId, `{${others.join(',')}}`, others.length, SCALE.downloads])
}

export async function seed(app: MediaNest, viewerId: string): Promise<void> {
  const db = app.db.knex
  const now = new Date()
  const step = async (what: string, fn: () => Promise<unknown>) => {
    const began = performance.now()
    await fn()
    process.stderr.write(`  seeded ${what} in ${((performance.now() - began) / 1000).toFixed(1)} s\n`)
  }
  let others: string[] = []
  await step(`${SCALE.people} people`, async () => { others = await seedPeople(db) })
  await step(`${SCALE.requests.toLocaleString('en')} media requests with their timeline`, () => seedRequests(db, viewerId, others))
  await step('notifications', () => seedNotifications(db, viewerId, others))
  await step(`${SCALE.services} services' ${SCALE.historyDays} days of checks and incidents`, () => seedMonitor(db, now))
  await step(`${SCALE.downloads} YouTube downloads`, () => seedDownloads(db, viewerId, others))
  await step('the first round of checks', () => settleMonitor(db, now))
  await db.raw('analyze')

  const count = async (sql: string) => ((await db.raw(sql, [viewerId])).rows[0] as { n: number }).n
  process.stderr.write(`  the viewer owns ${await count('select count(*)::int as n from media_requests where user_id = ?')} requests, ` +
    `${await count('select count(*)::int as n from notifications where user_id = ? and not read')} unread notifications of ` +
    `${await count('select count(*)::int as n from notifications where user_id = ?')}, ` +
    `${await count('select count(*)::int as n from youtube_downloads where user_id = ?')} downloads\n`)
}

// ---------------------------------------------------------------------------------------
// Database round trips per request: every query issued through the app's knex while the
// request's own async context is current (AsyncLocalStorage, entered where the server
// hands the request to the app), so the job queue's and the scheduler's polling, the
// monitor's checks and the bench's own queries are not counted.

interface QueryTally { queries: number; dbMs: number; statements: Map<string, { n: number; ms: number }> }
const requestScope = new AsyncLocalStorage<QueryTally>()

export function tallyQueries(knex: Knex): () => number {
  let outside = 0
  const started = new Map<string, { at: number; tally: QueryTally; statement: { ms: number } }>()
  knex.on('query', (q: { __knexQueryUid: string; sql: string }) => {
    const tally = requestScope.getStore()
    if (!tally) { outside++; return }
    tally.queries++
    const sql = q.sql.replace(/\s+/g, ' ').trim()
    const statement = tally.statements.get(sql) ?? { n: 0, ms: 0 }
    statement.n++
    tally.statements.set(sql, statement)
    started.set(q.__knexQueryUid, { at: performance.now(), tally, statement })
  })
  const done = (_r: unknown, q: { __knexQueryUid: string }) => {
    const s = started.get(q.__knexQueryUid)
    if (!s) return
    const ms = performance.now() - s.at
    s.tally.dbMs += ms
    s.statement.ms += ms
    started.delete(q.__knexQueryUid)
  }
  knex.on('query-response', done)
  knex.on('query-error', (_e: unknown, q: { __knexQueryUid: string }) => done(undefined, q))
  return () => outside
}

/** While fn runs, every request the server takes is handled inside the tally's async context. */
async function inRequestScope<T>(server: http.Server, tally: QueryTally, fn: () => Promise<T>): Promise<T> {
  const listeners = server.listeners('request') as Array<(req: http.IncomingMessage, res: http.ServerResponse) => void>
  server.removeAllListeners('request')
  server.on('request', (req, res) => requestScope.run(tally, () => { for (const l of listeners) l.call(server, req, res) }))
  try {
    return await fn()
  } finally {
    server.removeAllListeners('request')
    for (const l of listeners) server.on('request', l)
    // An enabled AsyncLocalStorage makes every promise pay a hook (about 3 % of a page
    // under load on Node 20): the load that follows must not carry the bench's own cost.
    requestScope.disable()
  }
}

/**
 * One GET, tried again once if the connection was reset: a kept-alive connection that the
 * server closed while the event loop was busy (seeding, PGlite's queries) is not the page's fault.
 */
export async function fetchPage(target: Target): Promise<Response> {
  const get = () => fetch(target.url, { headers: target.headers, redirect: 'manual' })
  try {
    return await get()
  } catch {
    return get()
  }
}

export interface Cost { roundTrips: number; dbMs: number; ms: number; statements: Array<{ sql: string; n: number; ms: number }> }

/** Sequential warm requests, one at a time; with a server, its queries are counted too. */
/** Where each page's database round trips go: how many per request, and their time to answer (sequential, warm). */
export function printRoundTrips(costs: Map<string, Cost>, names: string[]): void {
  console.log('\nWhere the round trips go (per request: how many, and their time to answer, sequential and warm):')
  for (const name of names) {
    const cost = costs.get(name)!
    console.log(`  ${name}: ${cost.ms.toFixed(2)} ms a request, ${cost.dbMs.toFixed(2)} ms of it waiting on the database`)
    for (const s of cost.statements) {
      console.log(`    ${s.n.toFixed(2).padStart(5)} queries ${s.ms.toFixed(2).padStart(6)} ms  ${s.sql.length > 130 ? `${s.sql.slice(0, 84)} … ${s.sql.slice(-42)}` : s.sql}`)
    }
  }
}

export async function costOf(server: http.Server | null, target: Target): Promise<Cost> {
  const get = async () => {
    const res = await fetchPage(target)
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`${target.name} answered ${res.status} while its queries were counted`)
  }
  for (let i = 0; i < 5; i++) await get()
  const tally: QueryTally = { queries: 0, dbMs: 0, statements: new Map() }
  const began = performance.now()
  const run = async () => { for (let i = 0; i < COUNTED; i++) await get() }
  await (server ? inRequestScope(server, tally, run) : run())
  const ms = (performance.now() - began) / COUNTED
  // Work a request started but did not wait for (a session's last-used time) still counts.
  await new Promise((resolve) => setTimeout(resolve, 300))
  return {
    roundTrips: tally.queries / COUNTED, dbMs: tally.dbMs / COUNTED, ms,
    statements: [...tally.statements].map(([sql, s]) => ({ sql, n: s.n / COUNTED, ms: s.ms / COUNTED })).sort((a, b) => b.ms - a.ms),
  }
}

// ---------------------------------------------------------------------------------------
// The pages, checked for what a person would see before they are measured.

export interface Page extends Target { expect: (html: string) => string | null }

const occurrences = (html: string, needle: string) => html.split(needle).length - 1

export function pages(url: string, cookie: string): Page[] {
  const headers = { Cookie: cookie, Accept: 'text/html' }
  return [
    {
      name: 'dashboard GET /', url: `${url}/`, headers,
      expect: (html) => (occurrences(html, 'class="card widget"') >= 5 ? null : `${occurrences(html, 'class="card widget"')} dashboard cards, expected one per plugin widget`),
    },
    {
      name: 'GET /overseerr/requests', url: `${url}/overseerr/requests`, headers,
      expect: (html) => (occurrences(html, '<li id="overseerr-request-') === 25 && html.includes('rel="next"') ? null : `${occurrences(html, '<li id="overseerr-request-')} requests listed, expected a full page of 25 and a next page`),
    },
    {
      name: 'GET /monitor', url: `${url}/monitor`, headers,
      expect: (html) => (occurrences(html, 'id="monitor-row-') === SCALE.services && html.includes(`${SCALE.downServices} down`) ? null
        : `${occurrences(html, 'id="monitor-row-')} services on the board, expected ${SCALE.services} with ${SCALE.downServices} down`),
    },
    {
      name: 'GET /notifications', url: `${url}/notifications`, headers,
      expect: (html) => (occurrences(html, 'class="notifications-item"') === 20 && html.includes('Unread') ? null : `${occurrences(html, 'class="notifications-item"')} notifications listed, expected a page of 20 with unread ones`),
    },
  ]
}

/** Returns the page's size as autocannon receives it (it asks for no compression). */
export async function check(page: Page): Promise<number> {
  const res = await fetchPage(page)
  const html = await res.text()
  if (res.status !== 200) throw new Error(`${page.name} answered ${res.status}, not 200: ${html.slice(0, 300)}`)
  const problem = page.expect(html)
  if (problem) throw new Error(`${page.name} answered 200 but not the page expected: ${problem}`)
  return Buffer.byteLength(html)
}

// ---------------------------------------------------------------------------------------
// Measuring and reporting

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)}`

/** The process's RSS at its highest while fn ran, sampled every 250 ms. */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; rss: number }> {
  let rss = process.memoryUsage.rss()
  const timer = setInterval(() => { rss = Math.max(rss, process.memoryUsage.rss()) }, 250)
  try {
    const value = await fn()
    return { value, rss: Math.max(rss, process.memoryUsage.rss()) }
  } finally {
    clearInterval(timer)
  }
}

interface Row { result: Result; ratio: number; p99Ratio: number; rss: number }

export function spread(values: number[], digits: number): string {
  const fmt = (v: number) => v.toFixed(digits)
  return values.length > 1 ? `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})` : fmt(values[0])
}

export const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

// Run as a script; imported (bench/overseerr-discovery.ts boots and seeds the same install), it measures nothing.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()

/**
 * What every run of the install as people get it starts with: production mode (compiled
 * templates are cached only there), the machine and load said, a data folder, a fresh
 * database, the loopback targets the plugins check, and the bare Express baseline.
 */
export async function startInstallRun(name: string, load: typeof LOAD = LOAD) {
  process.env.NODE_ENV ??= 'production'
  process.stderr.write(`Node ${process.version}, ${os.cpus().length} CPUs, NODE_ENV=${process.env.NODE_ENV}; ` +
    `${load.connections} connections, ${load.warmupSeconds} s warm-up + ${load.seconds} s per target, ${load.rounds} round(s); load average ${loadavg()}\n`)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `medianest-bench-${name}-`))
  const database = await freshDatabase()
  const targets = await checkTargets()
  const bare = await bareExpress()
  return { dataDir, database, targets, bare }
}

async function main(): Promise<void> {
  const { dataDir, database, targets, bare } = await startInstallRun('install')
  let app: MediaNest | null = null
  try {
    app = await benchMediaNest({ dataDir, databaseUrl: database.url, plugins: pluginConfig(dataDir, targets) })
    const states = new Map(app.host.plugins.map((p) => [p.name, p.state]))
    const notRunning = FIRST_PARTY.filter((name) => states.get(name) !== 'started')
    if (notRunning.length) throw new Error(`Not every first-party plugin started: ${notRunning.map((n) => `${n} is ${states.get(n) ?? 'missing'}`).join(', ')}`)
    const outside = tallyQueries(app.db.knex)

    const viewer = await signIn(app, { email: 'viewer@medianest.example', name: 'Bench Viewer', role: 'ADMIN' })
    const seeding = performance.now()
    await seed(app, viewer.userId)
    // Written straight into the tables, as `medianest seed demo` does: what the sign-in cached goes.
    await app.db.notify(VIEWER_CACHE_CHANNEL, EVERY_CACHE)
    await new Promise((resolve) => setTimeout(resolve, 500))
    process.stderr.write(`  seeding took ${((performance.now() - seeding) / 1000).toFixed(1)} s in all\n`)

    // BENCH_ONLY=monitor measures the pages whose name contains it (for a profile of one page).
    const medianestPages = pages(app.url, viewer.cookie).filter((p) => !process.env.BENCH_ONLY || p.name.includes(process.env.BENCH_ONLY))
    const sizes = new Map<string, number>()
    for (const page of medianestPages) sizes.set(page.name, await check(page))
    const all: Target[] = [{ name: 'bare Express GET /', url: `${bare.url}/` }, ...medianestPages]
    const costs = new Map<string, Cost>()
    costs.set(all[0].name, await costOf(null, all[0]))
    const outsideBefore = outside()
    const counting = performance.now()
    for (const page of medianestPages) costs.set(page.name, await costOf(app.server, page))
    const backgroundPerSecond = (outside() - outsideBefore) / ((performance.now() - counting) / 1000)

    await new Promise((resolve) => setTimeout(resolve, 2000))
    const idleRss = process.memoryUsage.rss()

    const rounds: Array<Array<{ result: Result; rss: number }>> = []
    for (let round = 1; round <= LOAD.rounds; round++) {
      if (LOAD.rounds > 1) process.stderr.write(`round ${round} of ${LOAD.rounds} (load average ${loadavg()})\n`)
      const results: Array<{ result: Result; rss: number }> = []
      for (const target of all) {
        const { value, rss } = await peakRss(() => measure(target, LOAD))
        results.push({ result: value, rss })
      }
      rounds.push(results)
    }

    // Per target: each round's figures against that round's bare Express.
    const rows = all.map((_, i) => rounds.map((r): Row => ({
      result: r[i].result, ratio: r[i].result.requests / r[0].result.requests, p99Ratio: r[i].result.p99 / r[0].result.p99, rss: r[i].rss,
    })))
    console.log(`\nMediaNest on ${database.label}, all five first-party plugins on; ${LOAD.connections} connections, ` +
      `${LOAD.seconds} s per target${LOAD.rounds > 1 ? `, median (min–max) of ${LOAD.rounds} interleaved rounds` : ''}; load average now ${loadavg()}\n`)
    console.log(alignColumns([
      ['target', 'req/s', 'vs bare', 'p99 ms', 'p99 vs bare', 'errors', 'DB trips/req', 'DB ms/req', 'ms/req alone', 'page KB', 'RSS peak MB'],
      ...all.map((target, i) => {
        const runs = rows[i]
        const cost = costs.get(target.name)!
        const size = sizes.get(target.name)
        return [
          target.name, spread(runs.map((r) => r.result.requests), 0), i === 0 ? '1' : spread(runs.map((r) => r.ratio), 2),
          spread(runs.map((r) => r.result.p99), 0), i === 0 ? '1' : spread(runs.map((r) => r.p99Ratio), 1),
          String(runs.reduce((n, r) => n + r.result.errors + r.result.non2xx, 0)),
          i === 0 ? '–' : cost.roundTrips.toFixed(1), i === 0 ? '–' : cost.dbMs.toFixed(2), cost.ms.toFixed(2), size ? (size / 1024).toFixed(1) : '0',
          mb(Math.max(...runs.map((r) => r.rss))),
        ]
      }),
    ]))
    console.log(`\nRSS of this process (MediaNest, the bare Express and autocannon's worker thread): ${mb(idleRss)} MB idle after seeding, ` +
      `${mb(Math.max(...rows.flat().map((r) => r.rss)))} MB at its peak under load.`)
    console.log(`DB round trips: queries through the app's knex within each request's async context (AsyncLocalStorage), ` +
      `over ${COUNTED} sequential warm requests; "DB ms/req" is their time to answer, "ms/req alone" the whole request's. ` +
      `Background queries meanwhile (job queue, schedules, checks), not counted: ${backgroundPerSecond.toFixed(1)}/s.`)
    const errors = rows.flat().reduce((n, r) => n + r.result.errors + r.result.non2xx, 0)
    if (errors) console.log(`${errors} requests failed or answered non-2xx: the figures above are not comparable.`)

    console.log('\nThe issue\'s targets (medians):')
    const verdict = (met: boolean) => (met ? 'met' : 'NOT met')
    const ratioOf = (i: number) => median(rows[i].map((r) => r.ratio))
    const p99Of = (i: number) => median(rows[i].map((r) => r.p99Ratio))
    console.log(`  dashboard >= ${GOAL.dashboard}x bare: ${ratioOf(1).toFixed(2)}, ${verdict(ratioOf(1) >= GOAL.dashboard)}; ` +
      `its p99 <= ${GOAL.dashboardP99}x bare's: ${p99Of(1).toFixed(1)}x, ${verdict(p99Of(1) <= GOAL.dashboardP99)}`)
    for (let i = 2; i < all.length; i++) console.log(`  ${all[i].name} >= ${GOAL.page}x bare: ${ratioOf(i).toFixed(2)}, ${verdict(ratioOf(i) >= GOAL.page)}`)
    for (const page of medianestPages) {
      const trips = costs.get(page.name)!.roundTrips
      console.log(`  ${page.name} <= ${GOAL.roundTrips} DB round trips: ${trips.toFixed(1)}, ${verdict(trips <= GOAL.roundTrips)}`)
    }

    printRoundTrips(costs, medianestPages.map((p) => p.name))
  } finally {
    await app?.stop()
    await bare.close()
    await targets.close()
    await database.drop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}
