// The HTTP benchmark: a bare Express "hello" as the same-run baseline, and a whole
// MediaNest (startMediaNest, as production boots it) answering GET /healthz and the
// signed-in dashboard shell GET /. Run by hand, never in CI: `npx tsx bench/run.ts` from the
// sources, or `node build/bench/run.js` on the compiled build that `npm start` runs.
// Loopback only. Knobs: BENCH_CONNECTIONS (10), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2),
// BENCH_ROUNDS (1; more interleave the three targets and report medians, for a busy
// machine), DATABASE_URL (PostgreSQL; otherwise PGlite in a temporary folder).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import autocannon from 'autocannon'
import express from 'express'
import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { startMediaNest, type MediaNest } from '../core/server.ts'
import { hashPassword } from '../core/auth/passwords.ts'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)
const DASHBOARD_TARGET = 0.5

interface Target { name: string; url: string; headers?: Record<string, string> }
interface Result { name: string; requests: number; p50: number; p99: number; errors: number; non2xx: number }

/**
 * Warm-up, then the measured run. autocannon fires from a worker thread, so the
 * load generator does not share the event loop of the server it measures.
 */
async function measure(target: Target): Promise<Result> {
  const options = { url: target.url, headers: target.headers ?? {}, connections: CONNECTIONS, workers: 1 }
  if (WARMUP_SECONDS > 0) await autocannon({ ...options, duration: WARMUP_SECONDS })
  const r = await autocannon({ ...options, duration: SECONDS })
  const result = { name: target.name, requests: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx }
  process.stderr.write(`  ${target.name}: ${Math.round(result.requests)} req/s\n`)
  return result
}

async function bareExpress(): Promise<{ url: string; close(): Promise<void> }> {
  const app = express()
  app.get('/', (_req, res) => { res.send('hello') })
  const server = http.createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

async function medianest(dataDir: string): Promise<MediaNest> {
  const config = loadConfig({
    env: {},
    overrides: {
      port: 0, host: '127.0.0.1', dataDir, logLevel: 'error', databaseUrl: process.env.DATABASE_URL || undefined,
      rateLimits: { authenticated: { limit: 1_000_000, window: '1m' } },
    },
    cwd: dataDir,
  })
  return startMediaNest({ config, log: createLogger('error') })
}

/** Signs in the way a browser does: GET /login for the CSRF token and mn_anon cookie, then POST /login. */
async function signIn(app: MediaNest): Promise<string> {
  const email = 'bench@example.com'
  const password = 'a benchmark passphrase'
  await app.db.knex('users').insert({ email, name: 'Bench', role: 'USER', password_hash: await hashPassword(password) })

  const page = await fetch(`${app.url}/login`)
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1]
  const anon = page.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('mn_anon='))
  if (!csrf || !anon) throw new Error('GET /login gave no CSRF token or mn_anon cookie')

  const res = await fetch(`${app.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: anon, 'X-CSRF-Token': csrf },
    body: new URLSearchParams({ email, password }).toString(),
  })
  const session = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('mn_session='))
  if (res.status !== 303 || !session) throw new Error(`POST /login answered ${res.status} without a session cookie`)

  const shell = await fetch(`${app.url}/`, { headers: { Cookie: session }, redirect: 'manual' })
  if (shell.status !== 200) throw new Error(`GET / with the session answered ${shell.status}, not the dashboard`)
  return session
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** One row per target: the median round by requests/s (its latencies come with it). */
function summarize(rounds: Result[][]): Result[] {
  return rounds[0].map((_, i) => {
    const runs = rounds.map((r) => r[i])
    const middle = median(runs.map((r) => r.requests))
    const chosen = runs.find((r) => r.requests === middle)!
    return { ...chosen, errors: runs.reduce((n, r) => n + r.errors, 0), non2xx: runs.reduce((n, r) => n + r.non2xx, 0) }
  })
}

function table(rows: Result[], baseline: Result): string {
  const lines = [
    ['', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'vs bare'],
    ...rows.map((r) => [
      r.name, Math.round(r.requests).toString(), r.p50.toFixed(1), r.p99.toFixed(1),
      String(r.errors), String(r.non2xx), (r.requests / baseline.requests).toFixed(2),
    ]),
  ]
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)))
  return lines.map((l) => l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n')
}

// Measure what production runs: compiled templates are cached only there.
process.env.NODE_ENV ??= 'production'
process.stderr.write(`Node ${process.version}, ${os.cpus().length} CPUs, NODE_ENV=${process.env.NODE_ENV}; ` +
  `${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s per target, ${ROUNDS} round(s)\n`)

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-bench-'))
const bare = await bareExpress()
const app = await medianest(dataDir)
try {
  const session = await signIn(app)
  const targets: Target[] = [
    { name: 'bare Express  GET /', url: `${bare.url}/` },
    { name: 'MediaNest     GET /healthz', url: `${app.url}/healthz` },
    { name: 'MediaNest     GET / (dashboard shell, signed in)', url: `${app.url}/`, headers: { Cookie: session, Accept: 'text/html' } },
  ]
  const rounds: Result[][] = []
  for (let round = 1; round <= ROUNDS; round++) {
    if (ROUNDS > 1) process.stderr.write(`round ${round} of ${ROUNDS}\n`)
    const results: Result[] = []
    for (const target of targets) results.push(await measure(target))
    rounds.push(results)
  }
  const [baseline, healthz, dashboard] = summarize(rounds)
  console.log(`\nMediaNest on ${app.db.kind === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL'}${ROUNDS > 1 ? `, median of ${ROUNDS} rounds` : ''}\n`)
  console.log(table([baseline, healthz, dashboard], baseline))
  const ratio = dashboard.requests / baseline.requests
  console.log(`\nhealthz/bare ${(healthz.requests / baseline.requests).toFixed(2)}, dashboard/bare ${ratio.toFixed(2)} ` +
    `(target >= ${DASHBOARD_TARGET}: ${ratio >= DASHBOARD_TARGET ? 'met' : 'NOT met'})`)
  if (ROUNDS > 1) {
    // Each round's own ratio (its three targets ran back to back): the spread says how
    // much one figure can be trusted on this machine.
    const spread = (pick: (r: Result[]) => number) => {
      const values = rounds.map(pick)
      return `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}; rounds ${values.map((v) => v.toFixed(2)).join(', ')})`
    }
    console.log(`per-round ratios, median (min–max): healthz/bare ${spread((r) => r[1].requests / r[0].requests)}, ` +
      `dashboard/bare ${spread((r) => r[2].requests / r[0].requests)}; dashboard p99 ${spread((r) => r[2].p99).replace(/\.00/g, '')} ms`)
  }
  if ([baseline, healthz, dashboard].some((r) => r.errors || r.non2xx)) console.log('Some requests failed: the figures above are not comparable.')
} finally {
  await app.stop()
  await bare.close()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
