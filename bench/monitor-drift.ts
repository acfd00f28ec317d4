// Issue 32 (part 9): the monitor's scheduling drift. MediaNest as `npm start` runs it by
// default (all five first-party plugins on, NODE_ENV=production) with 50 HTTP checks every
// 20 s (timeout 5 s, no retries) against a loopback server: 49 answer 200 "ok" at once, one
// (`hang`) never answers, so every check of it lasts its whole timeout. It lets the checks
// run for BENCH_MINUTES of real time (10 by default, rounded to whole intervals; the window
// opens 10 s after the boot), then reads the checks' `up` rows from `service_metrics` (one
// per check, stamped with its start) and reports, per service, the mean gap between
// consecutive checks since the boot and the mean |gap − 20 s| (the first check only starts
// the chain); then the average of that over the 50 services, the worst service's, the
// hanging target's own, and the checks run in the window against the ideal count
// (duration / 20 s per service), the same-run baseline. Target: mean |gap − 20 s| ≤ 1 s
// per service.
//
//   npx tsx bench/monitor-drift.ts                                   10 minutes, PostgreSQL
//   BENCH_MINUTES=2 BENCH_DB=pglite npx tsx bench/monitor-drift.ts   a quick run on PGlite
//
// The database as bench/install.ts: DATABASE_URL (an empty one), else a fresh
// `medianest_bench_<pid>` on the local server (BENCH_POSTGRES, default
// postgres://postgres@127.0.0.1:5432/postgres), dropped at the end; BENCH_DB=pglite uses
// PGlite in a temporary folder instead.
// Run by hand, never in CI: it is a measurement, so it exits 0 whether the target is met.
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { MediaNest } from '../core/server.ts'
import { alignColumns, benchMediaNest } from './harness.ts'
import { FIRST_PARTY, freshDatabase, loadavg } from './install.ts'

const INTERVAL_MS = 20_000
const TIMEOUT_MS = 5_000
const OK_CHECKS = 49
/** The issue's target: each service's mean |gap − interval|, averaged over the services. */
const GOAL_MS = 1_000
/** BENCH_MINUTES (10), made a whole number of intervals so a perfect schedule fits it exactly. */
const DURATION_MS = Math.max(1, Math.round((Number(process.env.BENCH_MINUTES ?? 10) * 60_000) / INTERVAL_MS)) * INTERVAL_MS
const MINUTES = DURATION_MS / 60_000
const WINDOW = Number.isInteger(MINUTES) ? `${MINUTES} min` : `${DURATION_MS / 1000} s`

// ---------------------------------------------------------------------------------------
// The targets: /ok/<n> answers 200 "ok" at once; /hang is held open until the client gives
// up (the check's timeout). Requests are counted per kind with their arrival time, as a
// second count beside the database's.

interface Targets { url: string; arrivals: { ok: number[]; hang: number[] }; close(): Promise<void> }

async function startTargets(): Promise<Targets> {
  const arrivals = { ok: [] as number[], hang: [] as number[] }
  const sockets = new Set<Socket>()
  const server = http.createServer((req, res) => {
    if (req.url === '/hang') {
      arrivals.hang.push(Date.now())
      return // never answered: the socket stays open until the client destroys it (or close() does)
    }
    if (req.url && /^\/ok\/\d+$/.test(req.url)) {
      arrivals.ok.push(Date.now())
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '2' })
      res.end('ok')
      return
    }
    res.writeHead(404).end()
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}

function monitorConfig(url: string): Record<string, unknown> {
  const checks = [
    ...Array.from({ length: OK_CHECKS }, (_, k) => ({ name: `svc-${k + 1}`, url: `${url}/ok/${k + 1}` })),
    { name: 'hang', url: `${url}/hang` },
  ]
  return { interval: `${INTERVAL_MS / 1000}s`, timeout: `${TIMEOUT_MS / 1000}s`, retries: 0, checks }
}

// ---------------------------------------------------------------------------------------

interface Drift { name: string; checks: number; gaps: number; meanGap: number; meanDev: number; maxDev: number }

/** Per service: the gaps between consecutive checks (the first check has none before it). */
function driftOf(name: string, times: number[]): Drift {
  const gaps = times.slice(1).map((t, i) => t - times[i])
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)
  const devs = gaps.map((g) => Math.abs(g - INTERVAL_MS))
  return { name, checks: times.length, gaps: gaps.length, meanGap: mean(gaps), meanDev: mean(devs), maxDev: devs.length ? Math.max(...devs) : NaN }
}

const ms = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(0))
const sleep = (msToWait: number) => new Promise((resolve) => setTimeout(resolve, msToWait))

process.env.NODE_ENV ??= 'production'
process.stderr.write(`Node ${process.version}, ${os.cpus().length} CPUs, NODE_ENV=${process.env.NODE_ENV}; ` +
  `${OK_CHECKS + 1} HTTP checks every ${INTERVAL_MS / 1000} s (timeout ${TIMEOUT_MS / 1000} s, 1 hanging) for ${WINDOW}; load average ${loadavg()}\n`)
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-bench-monitor-drift-'))
const database = await freshDatabase()
const targets = await startTargets()
let app: MediaNest | null = null
try {
  app = await benchMediaNest({
    dataDir, databaseUrl: database.url,
    // Every first-party plugin keeps its default (on), as in bench/install.ts; youtube gets what it needs to start.
    plugins: {
      youtube: { config: { ytDlpPath: '/usr/bin/yt-dlp', libraryPath: path.join(dataDir, 'youtube') } },
      monitor: { config: monitorConfig(targets.url) },
    },
  })
  const states = new Map(app.host.plugins.map((p) => [p.name, p.state]))
  const notRunning = FIRST_PARTY.filter((name) => states.get(name) !== 'started')
  if (notRunning.length) throw new Error(`Not every first-party plugin started: ${notRunning.map((n) => `${n} is ${states.get(n) ?? 'missing'}`).join(', ')}`)

  // The window, in real time: it opens half an interval after the boot (whose round of
  // checks sets every service's phase), so its edges fall between checks and a perfect
  // schedule runs exactly duration / interval checks of each service in it.
  await sleep(INTERVAL_MS / 2)
  const began = Date.now()
  const end = began + DURATION_MS
  while (Date.now() < end) {
    await sleep(Math.min(60_000, end - Date.now()))
    process.stderr.write(`  ${((DURATION_MS - Math.max(0, end - Date.now())) / 60_000).toFixed(1)} of ${MINUTES.toFixed(1)} min: ${targets.arrivals.ok.length + targets.arrivals.hang.length} requests to the targets so far; load average ${loadavg()}\n`)
  }
  // A check's row carries its start time and is written when it ends: the ones started
  // before the end (a hanging one lasts its timeout) are in after this.
  await sleep(TIMEOUT_MS + 5_000)

  const { rows } = await app.db.knex.raw<{ rows: Array<{ service_name: string; at: number }> }>(
    `select service_name, (extract(epoch from timestamp) * 1000)::float8 as at
     from service_metrics where metric_name = 'up' and service_name like 'check:%' and timestamp < ?
     order by service_name, timestamp`, [new Date(end)])
  const byService = new Map<string, number[]>()
  for (const r of rows) {
    const list = byService.get(r.service_name) ?? []
    list.push(Number(r.at))
    byService.set(r.service_name, list)
  }
  const names = [...Array.from({ length: OK_CHECKS }, (_, k) => `check:svc-${k + 1}`), 'check:hang']
  const drifts = names.map((name) => driftOf(name, byService.get(name) ?? []))
  const inWindow = rows.filter((r) => Number(r.at) >= began).length
  const expected = (DURATION_MS / INTERVAL_MS) * names.length
  const arrived = (list: number[]) => list.filter((t) => t >= began && t < end).length

  console.log(`\nMediaNest on ${database.label}, all five first-party plugins on; ${names.length} HTTP checks every ${INTERVAL_MS / 1000} s ` +
    `(timeout ${TIMEOUT_MS / 1000} s, retries 0), one target hanging; ${WINDOW} of real time; load average now ${loadavg()}\n`)
  console.log(alignColumns([
    ['service', 'checks since boot', 'gaps', 'mean gap ms', 'mean |gap − 20 s| ms', 'max |gap − 20 s| ms'],
    ...drifts.map((d) => [d.name, String(d.checks), String(d.gaps), ms(d.meanGap), ms(d.meanDev), ms(d.maxDev)]),
  ]))

  const measured = drifts.filter((d) => d.gaps > 0)
  if (!measured.length) throw new Error('No service was checked twice: is the monitor\'s schedule running?')
  const average = measured.reduce((n, d) => n + d.meanDev, 0) / measured.length
  const worst = measured.reduce((w, d) => (d.meanDev > w.meanDev ? d : w), measured[0])
  const hang = drifts[drifts.length - 1]
  const perService = names.map((name) => (byService.get(name) ?? []).filter((t) => t >= began).length)
  console.log(`\nChecks in the ${WINDOW} window: ${inWindow} run / ${expected.toFixed(0)} expected (one per service every ${INTERVAL_MS / 1000} s) = ` +
    `${(inWindow / expected).toFixed(3)}; per service ${Math.min(...perService)}–${Math.max(...perService)} (the hanging one ${perService[perService.length - 1]}); ` +
    `${rows.length} since the boot in all`)
  console.log(`The targets saw, in the window: ${arrived(targets.arrivals.ok)} requests to /ok/<n>, ${arrived(targets.arrivals.hang)} to /hang`)
  console.log(`Mean |gap − ${INTERVAL_MS / 1000} s|, averaged over the ${measured.length} services with a gap: ${average.toFixed(0)} ms`)
  console.log(`Worst service: ${worst.name}, mean gap ${ms(worst.meanGap)} ms, mean |gap − ${INTERVAL_MS / 1000} s| ${ms(worst.meanDev)} ms (largest single ${ms(worst.maxDev)} ms)`)
  console.log(`The hanging target (${hang.name}): ${hang.checks} checks since the boot, mean gap ${ms(hang.meanGap)} ms, mean |gap − ${INTERVAL_MS / 1000} s| ${ms(hang.meanDev)} ms (largest single ${ms(hang.maxDev)} ms)`)
  if (measured.length < drifts.length) console.log(`${drifts.length - measured.length} services had fewer than 2 checks: no gap to measure (counted as NOT met).`)
  // Per service: each one's mean |gap − 20 s| within the goal (so their average is too).
  const over = measured.filter((d) => d.meanDev > GOAL_MS).length
  const met = measured.length === drifts.length && over === 0
  console.log(`\nThe issue's target: mean |gap − ${INTERVAL_MS / 1000} s| <= ${GOAL_MS} ms for each service: average ${average.toFixed(0)} ms, ` +
    `worst ${ms(worst.meanDev)} ms, ${over} of ${drifts.length} services over; ${met ? 'met' : 'NOT met'}`)
} finally {
  await app?.stop()
  await targets.close()
  await database.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
