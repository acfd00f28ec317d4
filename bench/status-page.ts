// Issue 32: the monitor's public status page, as a visitor who is not signed in gets it.
// MediaNest as `npm start` runs it by default (all five first-party plugins on, PostgreSQL,
// NODE_ENV=production) watching 50 services from Admin → Services (`service_configs` rows,
// each an HTTP check of a loopback server: 45 answer 200, 5 answer 503 and are down), with
// 90 days of hourly rollups, the last 24 hours of raw checks, a few incidents and a full
// heartbeat bar each, and every status row then filled by a real round of checks (the
// checks keep running every 60 s during the measurement, as an install's do). One
// published status page lists all 50 in 4 groups, with its incidents. Measured at 50
// connections, signed out (no cookie), against a bare Express "hello" in the same run:
//
//   (a) bare Express GET /                             the baseline
//   (b) GET /status/<slug>                             the page, inside the site layout
//   (c) GET /status/<slug>/badge/<service>.svg         one service's badge
//   (d) GET /status/<slug> as an htmx partial           the same page without the layout (a diagnostic)
//
// requests/s and p99 of each, as ratios to the same round's bare Express; each target
// checked first for what a visitor would see; the database round trips one request costs
// (sequential, warm; bench/install.ts's tally). Target from the issue: the status page
// ≥ 0.5× bare Express. Several rounds interleave the targets; the figures are medians
// with min–max.
//
//   NODE_ENV=production BENCH_ROUNDS=3 npx tsx bench/status-page.ts
//
// The database as bench/install.ts: DATABASE_URL (an empty one), else a fresh
// `medianest_bench_<pid>` on the local server (BENCH_POSTGRES), dropped at the end;
// BENCH_DB=pglite for PGlite in a temporary folder. Knobs: BENCH_CONNECTIONS (50),
// BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_ROUNDS (3 here); BENCH_BEATS (49: the
// heartbeats seeded before the last real check; 0 for a young install's bars); BENCH_ONLY=page, badge
// or fragment (comma-separated) measures only those and the baseline, e.g. to profile one:
//   BENCH_ONLY=page BENCH_ROUNDS=1 NODE_ENV=production node --cpu-prof --import tsx bench/status-page.ts
// Run by hand, never in CI: it is a measurement, so it exits 0 whether the target is met.
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Knex } from 'knex'
import type { MediaNest } from '../core/server.ts'
import { rollUp } from '../plugins/monitor/rollups.ts'
import { floorHour, DAY_MS, HOUR_MS } from '../plugins/monitor/uptime.ts'
import { HEARTBEATS_KEPT } from '../plugins/monitor/heartbeat-bar.ts'
import { alignColumns, bareExpress, benchMediaNest, loadFromEnv, measure, median, type Result, type Target } from './harness.ts'
import { FIRST_PARTY, costOf, fetchPage, freshDatabase, loadavg, printRoundTrips, spread, tallyQueries, type Cost } from './install.ts'

const LOAD = { ...loadFromEnv(50), rounds: Number(process.env.BENCH_ROUNDS ?? 3) }
/** The issue's target for the public page. */
const GOAL = 0.5
const SERVICES = 50
const DOWN = 5
const HISTORY_DAYS = 90
const SLUG = 'home'
const GROUPS = [
  { name: 'Media', from: 1, to: 14 },
  { name: 'Requests and downloads', from: 15, to: 27 },
  { name: 'Household', from: 28, to: 39 },
  { name: 'Infrastructure', from: 40, to: SERVICES },
]
const serviceName = (i: number) => `svc-${String(i).padStart(2, '0')}`
/** The last DOWN services answer 503. */
const isDown = (i: number) => i > SERVICES - DOWN
const BADGE_SERVICE = serviceName(7)
/** Heartbeats seeded before the last real check (the bar keeps 50): BENCH_BEATS=0 for a young install's one or two. */
const SEEDED_BEATS = Math.min(HEARTBEATS_KEPT - 1, Number(process.env.BENCH_BEATS ?? HEARTBEATS_KEPT - 1))

// ---------------------------------------------------------------------------------------
// What the services point at: /ok/<n> answers 200 at once, /down/<n> 503.

async function startTargets(): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0
  const server = http.createServer((req, res) => {
    hits++
    const down = req.url?.startsWith('/down/')
    res.writeHead(down ? 503 : 200, { 'Content-Type': 'text/plain', 'Content-Length': down ? '11' : '2' })
    res.end(down ? 'unavailable' : 'ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

// ---------------------------------------------------------------------------------------
// The data

/** Admin → Services, as the admin form writes a service of type "Other" (monitor/test harness addService). */
async function addServices(db: Knex, targetsUrl: string): Promise<void> {
  await db('service_configs').insert(Array.from({ length: SERVICES }, (_, k) => {
    const i = k + 1
    return {
      service_name: serviceName(i), service_url: `${targetsUrl}/${isDown(i) ? 'down' : 'ok'}/${i}`, api_key: null, enabled: true,
      // The down ones without retries, so they are DOWN (not pending) after one failed check.
      config_data: JSON.stringify({ displayName: `Service ${String(i).padStart(2, '0')}`, ...(isDown(i) ? { retries: 0 } : {}) }),
      sealed_fields: JSON.stringify({}), updated_at: db.fn.now(),
    }
  }))
}

async function seedHistory(db: Knex, now: Date): Promise<void> {
  const names = Array.from({ length: SERVICES }, (_, k) => serviceName(k + 1))
  const list = `{${names.join(',')}}`
  const lastHour = floorHour(now)
  const rawFrom = new Date(lastHour.getTime() - DAY_MS)
  // Hourly rollups before the last 24 h (an hour in 97 had a bad check); raw rows for the
  // last 24 h, one check a minute, rolled up below as the schedule would (as bench/install.ts).
  await db.raw(
    `insert into service_metrics_hourly (service_name, hour, samples, up_count, avg_ms, p95_ms, max_ms)
     select s.name, h.hour, 60, case when (extract(epoch from h.hour)::bigint / 3600 + s.i * 7) % 97 = 0 then 57 else 60 end,
            15 + (s.i * 3 + extract(hour from h.hour)::int) % 30, 40 + s.i % 20, 80 + s.i % 40
     from unnest(?::text[]) with ordinality s(name, i)
     cross join generate_series(?::timestamptz, ?::timestamptz, interval '1 hour') h(hour)
     on conflict do nothing`,
    [list, new Date(lastHour.getTime() - HISTORY_DAYS * DAY_MS), new Date(rawFrom.getTime() - HOUR_MS)])
  await db.raw(
    `insert into service_metrics (service_name, metric_name, metric_value, timestamp)
     select s.name, m.metric, case when m.metric = 'up' then u.up else 12 + (extract(epoch from t)::bigint / 60 + s.i) % 40 end, t
     from unnest(?::text[]) with ordinality s(name, i)
     cross join generate_series(?::timestamptz, ?::timestamptz - interval '2 minutes', interval '1 minute') t
     cross join lateral (select case when s.i > ? and t >= ? then 0
                                     when (extract(epoch from t)::bigint / 60 + s.i * 13) % 211 = 0 then 0 else 1 end as up) u
     cross join (values ('up'), ('response_time_ms')) m(metric)
     where m.metric = 'up' or u.up = 1`,
    [list, rawFrom, now, SERVICES - DOWN, new Date(now.getTime() - 2 * HOUR_MS)])
  await rollUp(db, now)
  // Two resolved incidents per service over the last weeks (some inside the page's 7 days).
  await db.raw(
    `insert into service_incidents (service_name, incident_type, description, severity, status, created_at, resolved_at)
     select s.name, 'down', 'Service failed 2 checks in a row: HTTP 503.', 'medium', 'resolved',
            ?::timestamptz - (s.i * 11 + k * 29) * interval '1 day' / 4, ?::timestamptz - (s.i * 11 + k * 29) * interval '1 day' / 4 + interval '20 minutes'
     from unnest(?::text[]) with ordinality s(name, i) cross join generate_series(1, 2) k`,
    [now, now, list])
  // A full heartbeat bar, as an install that has run an hour shows: the next real check adds the newest.
  if (SEEDED_BEATS < HEARTBEATS_KEPT - 1) {
    await db('service_status').where({ source: 'service' }).update({ heartbeats: db.raw('right(heartbeats, ?)', [SEEDED_BEATS]) })
    return
  }
  await db.raw(
    `update service_status set heartbeats = case when service_name = any(?::text[]) then repeat('u', ?) || repeat('d', ?)
       else overlay(repeat('u', ?) placing 'p' from 1 + (length(service_name) * 7 + right(service_name, 2)::int * 13) % ? for 1) end
     where service_name = any(?::text[])`,
    [`{${names.slice(-DOWN).join(',')}}`, HEARTBEATS_KEPT - 1 - 30, 30, HEARTBEATS_KEPT - 1, HEARTBEATS_KEPT - 1, list])
}

/** Until every service's status row has a status from a check started at or after `since`. */
async function checkedSince(db: Knex, since: Date, what: string): Promise<void> {
  const deadline = performance.now() + 60_000
  for (;;) {
    const [{ n }] = (await db.raw(`select count(*)::int as n from service_status where source = 'service' and status is not null and last_check_at >= ?`, [since])).rows as Array<{ n: number }>
    if (n >= SERVICES) return
    if (performance.now() > deadline) throw new Error(`${what}: the monitor checked ${n} of ${SERVICES} services within 60 s: is its schedule running?`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

async function addStatusPage(db: Knex): Promise<void> {
  await db('monitor_status_pages').insert({
    slug: SLUG, title: 'Our media server',
    description: 'What runs at home, and whether it is up. Checked every minute.',
    notice: 'Plex moves to a new disk on Saturday night: expect it down for an hour.',
    groups: JSON.stringify(GROUPS.map((g) => ({ name: g.name, services: Array.from({ length: g.to - g.from + 1 }, (_, k) => serviceName(g.from + k)) }))),
    show_incidents: true, published: true,
  })
}

// ---------------------------------------------------------------------------------------
// The targets, checked for what a visitor would see before they are measured.

interface Check extends Target { key: 'page' | 'badge' | 'fragment'; expect: (body: string, res: Response) => string | null }

const occurrences = (html: string, needle: string) => html.split(needle).length - 1

function targetsOf(url: string): Check[] {
  const page = `${url}/status/${SLUG}`
  const wholePage = (html: string) => {
    if (process.env.BENCH_DUMP) fs.writeFileSync(process.env.BENCH_DUMP, html)
    const shown = occurrences(html, 'class="status-name"')
    const groups = occurrences(html, '<h2>') - 1 // the incidents' heading
    if (shown !== SERVICES || groups !== GROUPS.length) return `${shown} services in ${groups} groups, expected ${SERVICES} in ${GROUPS.length}`
    if (!html.includes(`${DOWN} of ${SERVICES} services are down.`)) return `no "${DOWN} of ${SERVICES} services are down." on the page`
    // Each bar says in words how many checks it draws (a run of one state is one element).
    const full = `aria-label="Last ${Math.min(50, SEEDED_BEATS + 1)} check`
    const bars = occurrences(html, full)
    if (bars < SERVICES) return `${bars} heartbeat bars drawing ${SEEDED_BEATS + 1} checks, expected ${SERVICES}`
    if (html.includes('127.0.0.1')) return 'a service\'s address is on the public page'
    return null
  }
  return [
    {
      key: 'page', name: 'GET /status/<slug>', url: page, headers: { Accept: 'text/html' },
      expect: (html) => wholePage(html) ?? (html.includes('<main id="main"') && html.includes('class="site-footer"') ? null : 'no site layout around the page'),
    },
    {
      key: 'badge', name: 'GET /status/<slug>/badge/<service>.svg', url: `${page}/badge/${BADGE_SERVICE}.svg`,
      expect: (svg, res) => (res.headers.get('content-type')?.startsWith('image/svg+xml') && svg.includes('Service 07: up') ? null
        : `${res.headers.get('content-type')}: ${svg.slice(0, 120)}`),
    },
    {
      key: 'fragment', name: 'GET /status/<slug>, htmx partial (no layout)', url: page,
      headers: { Accept: 'text/html', 'HX-Request': 'true', 'HX-Request-Type': 'partial' },
      expect: (html) => wholePage(html) ?? (html.trimStart().startsWith('<div id="monitor-status-page"') ? null : 'not the fragment alone'),
    },
  ]
}

async function check(target: Check): Promise<number> {
  const res = await fetchPage(target)
  const body = await res.text()
  if (res.status !== 200) throw new Error(`${target.name} answered ${res.status}, not 200: ${body.slice(0, 300)}`)
  const problem = target.expect(body, res)
  if (problem) throw new Error(`${target.name} answered 200 but not what a visitor should see: ${problem}`)
  return Buffer.byteLength(body)
}

// ---------------------------------------------------------------------------------------

process.env.NODE_ENV ??= 'production'
process.stderr.write(`Node ${process.version}, ${os.cpus().length} CPUs, NODE_ENV=${process.env.NODE_ENV}; ` +
  `${LOAD.connections} connections, ${LOAD.warmupSeconds} s warm-up + ${LOAD.seconds} s per target, ${LOAD.rounds} round(s); load average ${loadavg()}\n`)
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-bench-status-page-'))
const database = await freshDatabase()
const upstream = await startTargets()
const bare = await bareExpress()
let app: MediaNest | null = null
try {
  app = await benchMediaNest({
    dataDir, databaseUrl: database.url,
    // Every first-party plugin keeps its default (on), as in bench/install.ts; youtube gets what it needs to start.
    plugins: { youtube: { config: { ytDlpPath: '/usr/bin/yt-dlp', libraryPath: path.join(dataDir, 'youtube') } } },
  })
  const states = new Map(app.host.plugins.map((p) => [p.name, p.state]))
  const notRunning = FIRST_PARTY.filter((name) => states.get(name) !== 'started')
  if (notRunning.length) throw new Error(`Not every first-party plugin started: ${notRunning.map((n) => `${n} is ${states.get(n) ?? 'missing'}`).join(', ')}`)
  const db = app.db.knex
  tallyQueries(db)

  const seeding = performance.now()
  const booted = new Date()
  await addServices(db, upstream.url)
  // The schedule (every 5 s) finds the new services and checks each at once.
  await checkedSince(db, booted, 'the first round')
  await seedHistory(db, new Date())
  // A real round over the history, so every status row's figures and bar come from a check.
  const seeded = new Date()
  await db('service_status').where({ source: 'service' }).update({ next_check_at: seeded })
  await checkedSince(db, seeded, 'the round after the history')
  await addStatusPage(db)
  await db.raw('analyze')
  const counts = (await db.raw(`select count(*) filter (where status = 'up')::int as up, count(*) filter (where status = 'down')::int as down,
      count(*)::int as n, min(length(heartbeats))::int as beats from service_status where source = 'service'`)).rows[0] as { up: number; down: number; n: number; beats: number }
  process.stderr.write(`  ${counts.n} services watched (${counts.up} up, ${counts.down} down, at least ${counts.beats} heartbeats each), ` +
    `history and a published page in ${((performance.now() - seeding) / 1000).toFixed(1)} s; ${upstream.hits()} checks answered so far\n`)

  // BENCH_ONLY=page|badge|fragment (comma-separated) measures only those, and the baseline (for a profile of one).
  const only = process.env.BENCH_ONLY?.split(',')
  const pages = targetsOf(app.url).filter((t) => !only || only.includes(t.key))
  const sizes = new Map<string, number>()
  for (const target of pages) sizes.set(target.name, await check(target))
  const all: Target[] = [{ name: 'bare Express GET /', url: `${bare.url}/` }, ...pages]
  const costs = new Map<string, Cost>()
  costs.set(all[0].name, await costOf(null, all[0]))
  for (const target of pages) costs.set(target.name, await costOf(app.server, target))

  const rounds: Result[][] = []
  for (let round = 1; round <= LOAD.rounds; round++) {
    if (LOAD.rounds > 1) process.stderr.write(`round ${round} of ${LOAD.rounds} (load average ${loadavg()})\n`)
    const results: Result[] = []
    for (const target of all) results.push(await measure(target, LOAD))
    rounds.push(results)
  }

  // Per target: each round's figures against that round's bare Express.
  const rows = all.map((_, i) => rounds.map((r) => ({ result: r[i], ratio: r[i].requests / r[0].requests, p99Ratio: r[i].p99 / r[0].p99 })))
  console.log(`\nMediaNest on ${database.label}, all five first-party plugins on, ${SERVICES} services watched (${DOWN} down), ` +
    `one published status page of all ${SERVICES} in ${GROUPS.length} groups; signed out; ${LOAD.connections} connections, ${LOAD.seconds} s per target` +
    `${LOAD.rounds > 1 ? `, median (min–max) of ${LOAD.rounds} interleaved rounds` : ''}; load average now ${loadavg()}\n`)
  console.log(alignColumns([
    ['target', 'req/s', 'vs bare', 'p99 ms', 'p99 vs bare', 'errors', 'DB trips/req', 'ms/req alone', 'body KB'],
    ...all.map((target, i) => {
      const runs = rows[i]
      const cost = costs.get(target.name)!
      const size = sizes.get(target.name)
      return [
        target.name, spread(runs.map((r) => r.result.requests), 0), i === 0 ? '1' : spread(runs.map((r) => r.ratio), 2),
        spread(runs.map((r) => r.result.p99), 0), i === 0 ? '1' : spread(runs.map((r) => r.p99Ratio), 1),
        String(runs.reduce((n, r) => n + r.result.errors + r.result.non2xx, 0)),
        i === 0 ? '–' : cost.roundTrips.toFixed(1), cost.ms.toFixed(2), size ? (size / 1024).toFixed(1) : '0',
      ]
    }),
  ]))
  const errors = rows.flat().reduce((n, r) => n + r.result.errors + r.result.non2xx, 0)
  if (errors) console.log(`${errors} requests failed or answered non-2xx: the figures above are not comparable.`)
  const ratio = median(rows[1].map((r) => r.ratio))
  if (pages[0].key === 'page') console.log(`\nThe issue's target: the status page >= ${GOAL}x bare Express: ${ratio.toFixed(2)}, ${ratio >= GOAL ? 'met' : 'NOT met'} (median of ${LOAD.rounds}).`)
  printRoundTrips(costs, pages.map((p) => p.name))
} finally {
  await app?.stop()
  await bare.close()
  await upstream.close()
  await database.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
