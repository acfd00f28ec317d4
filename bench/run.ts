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
import { alignColumns, bareExpress, benchMediaNest, loadFromEnv, measure, median, signIn, summarize, type Result, type Target } from './harness.ts'

const LOAD = loadFromEnv(10)
const { connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, rounds: ROUNDS } = LOAD
const DASHBOARD_TARGET = 0.5

function table(rows: Result[], baseline: Result): string {
  return alignColumns([
    ['', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'vs bare'],
    ...rows.map((r) => [
      r.name, Math.round(r.requests).toString(), r.p50.toFixed(1), r.p99.toFixed(1),
      String(r.errors), String(r.non2xx), (r.requests / baseline.requests).toFixed(2),
    ]),
  ])
}

// Measure what production runs: compiled templates are cached only there.
process.env.NODE_ENV ??= 'production'
process.stderr.write(`Node ${process.version}, ${os.cpus().length} CPUs, NODE_ENV=${process.env.NODE_ENV}; ` +
  `${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s per target, ${ROUNDS} round(s)\n`)

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-bench-'))
const bare = await bareExpress()
const app = await benchMediaNest({ dataDir, databaseUrl: process.env.DATABASE_URL || undefined })
try {
  const session = (await signIn(app)).cookie
  const targets: Target[] = [
    { name: 'bare Express  GET /', url: `${bare.url}/` },
    { name: 'MediaNest     GET /healthz', url: `${app.url}/healthz` },
    { name: 'MediaNest     GET / (dashboard shell, signed in)', url: `${app.url}/`, headers: { Cookie: session, Accept: 'text/html' } },
  ]
  const rounds: Result[][] = []
  for (let round = 1; round <= ROUNDS; round++) {
    if (ROUNDS > 1) process.stderr.write(`round ${round} of ${ROUNDS}\n`)
    const results: Result[] = []
    for (const target of targets) results.push(await measure(target, LOAD))
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
