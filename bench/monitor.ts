// The monitor's read paths on a database the size a year of checks leaves behind: the
// 30-day uptime and the 30-day chart for a service with 43,200 raw rows (30 days, one
// check a minute) plus its hourly rollups, and the whole board for 50 services. Boots
// MediaNest as production does (PGlite in a temporary folder, or DATABASE_URL: use an
// empty database), seeds the rows, and reports the median of 30 runs of each read.
//   npx tsx bench/monitor.ts
//   DATABASE_URL=postgres://… npx tsx bench/monitor.ts
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { startMediaNest } from '../core/server.ts'
import { uptime, chartPoints, DAY_MS } from '../plugins/monitor/uptime.ts'
import { rollUp } from '../plugins/monitor/rollups.ts'
import { boardData } from '../plugins/monitor/board.ts'

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-bench-monitor-'))
const config = loadConfig({
  env: {},
  overrides: { port: 0, host: '127.0.0.1', dataDir, logLevel: 'error', databaseUrl: process.env.DATABASE_URL || undefined },
  cwd: dataDir,
})
const app = await startMediaNest({ config, log: createLogger('error') })
await app.scheduler.stop(5000)
const db = app.db.knex
const now = new Date()

async function seed(service: string, days: number): Promise<void> {
  const rows: Array<Record<string, unknown>> = []
  for (let t = now.getTime() - days * DAY_MS, i = 0; t < now.getTime(); t += 60_000, i++) {
    rows.push({ service_name: service, metric_name: 'up', metric_value: i % 97 ? 1 : 0, timestamp: new Date(t) })
    if (i % 97) rows.push({ service_name: service, metric_name: 'response_time_ms', metric_value: 20 + (i % 40), timestamp: new Date(t) })
  }
  for (let i = 0; i < rows.length; i += 5000) await db('service_metrics').insert(rows.slice(i, i + 5000))
  await db('service_status').insert({ service_name: service, display_name: service, source: 'check', interval_ms: 60_000, status: 'up' }).onConflict('service_name').ignore()
}

// Database time: from each query's start to its answer, summed over one read (knex's
// query events), apart from the JavaScript that shapes rows and draws SVG.
let dbMs = 0
const started = new Map<string, number>()
db.on('query', (q: { __knexQueryUid: string }) => { started.set(q.__knexQueryUid, performance.now()) })
db.on('query-response', (_r: unknown, q: { __knexQueryUid: string }) => {
  const t = started.get(q.__knexQueryUid)
  if (t !== undefined) { dbMs += performance.now() - t; started.delete(q.__knexQueryUid) }
})

// The same run's `select 1` round trip is the baseline: each read is also given as a
// multiple of it, which holds across machines and loads better than milliseconds do.
let baselineMs = 0

async function median(what: string, runs: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await fn()
  const total: number[] = []
  const database: number[] = []
  for (let i = 0; i < runs; i++) {
    dbMs = 0
    const began = performance.now()
    await fn()
    total.push(performance.now() - began)
    database.push(dbMs)
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const ratio = baselineMs ? `   ${(mid(database) / baselineMs).toFixed(0).padStart(5)}× baseline` : ''
  console.log(`${what.padEnd(50)} database ${mid(database).toFixed(2).padStart(6)} ms   in all ${mid(total).toFixed(2).padStart(6)} ms${ratio}   (medians of ${runs})`)
  return mid(database)
}

try {
  console.log(`backend: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`)
  baselineMs = await median('baseline: select 1', 100, () => db.raw('select 1'))
  console.log('seeding…')
  await seed('big', 30)
  const raw = Number((await db('service_metrics').where({ service_name: 'big', metric_name: 'up' }).count('* as n'))[0].n)
  // The worst case the issue names: all 43,200 raw rows still there, and their rollups.
  await rollUp(db, now)
  const hourly = Number((await db('service_metrics_hourly').where({ service_name: 'big' }).count('* as n'))[0].n)
  console.log(`service "big": ${raw} checks over 30 days, ${hourly} hourly rollups, every raw row kept`)
  await median('30-day uptime (1 service)', 30, () => uptime(db, 'big', 30 * DAY_MS, now))
  await median('30-day chart points (1 service)', 30, () => chartPoints(db, 'big', 30 * DAY_MS, now))
  await median('24-hour chart points (1 service)', 30, () => chartPoints(db, 'big', DAY_MS, now))

  for (let i = 0; i < 49; i++) await seed(`svc-${i}`, 1)
  await rollUp(db, now)
  await median('board data for 50 services (uptimes + sparklines), as an admin sees it', 30, () => boardData(db, true, now))
} finally {
  await app.stop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
