// The overseerr pages at scale: "My requests" page 1 and the admin queue page 1, with
// 10,000 and then 1,000,000 media_requests rows from seeds/media-requests.ts. Measures the
// database time of each page's queries with EXPLAIN (ANALYZE) — planning plus execution,
// the median of BENCH_REPEAT runs — and prints the plans, failing loudly on a sequential
// scan of media_requests. Run by hand: `DATABASE_URL=postgres://… npx tsx bench/overseerr-requests.ts`
// (an empty database; PGlite works without DATABASE_URL, slowly). Knobs: BENCH_ROWS (1000000),
// BENCH_SMALL_ROWS (10000), BENCH_REPEAT (25).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Knex } from 'knex'
import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { startMediaNest } from '../core/server.ts'
import { generateMediaRequests } from '../seeds/media-requests.ts'
import { listQuery, pendingCountQuery } from '../plugins/overseerr/request-pages.ts'
import { OPEN_STATUSES } from '../plugins/overseerr/statuses.ts'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const SMALL = Number(process.env.BENCH_SMALL_ROWS ?? 10_000)
const REPEAT = Number(process.env.BENCH_REPEAT ?? 25)
const TARGET_MS = 20
const RATIO = 1.5

interface Page { name: string; queries: (db: Knex) => Knex.QueryBuilder[] }

async function dbTimeMs(db: Knex, qb: Knex.QueryBuilder): Promise<{ ms: number; plan: string }> {
  const { sql, bindings } = qb.toSQL()
  const times: number[] = []
  let plan = ''
  for (let i = 0; i < REPEAT; i++) {
    const res = await db.raw(`explain (analyze, buffers, format json) ${sql}`, bindings as readonly Knex.RawBinding[])
    const json = (res.rows[0]['QUERY PLAN'] as Array<{ 'Planning Time': number; 'Execution Time': number }>)[0]
    times.push(json['Planning Time'] + json['Execution Time'])
  }
  const text = await db.raw(`explain (analyze, costs off, timing off, summary off) ${sql}`, bindings as readonly Knex.RawBinding[])
  plan = text.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')
  times.sort((a, b) => a - b)
  return { ms: times[Math.floor(times.length / 2)], plan }
}

async function measure(db: Knex, pages: Page[], label: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  console.log(`\n## ${label}`)
  for (const page of pages) {
    let total = 0
    for (const qb of page.queries(db)) {
      const { ms, plan } = await dbTimeMs(db, qb)
      total += ms
      console.log(`\n${page.name}: ${ms.toFixed(2)} ms\n${plan}`)
      if (/Seq Scan on media_requests/.test(plan)) console.log('!! sequential scan of media_requests')
    }
    out.set(page.name, total)
    console.log(`=> ${page.name}: ${total.toFixed(2)} ms of database time (median of ${REPEAT})`)
  }
  return out
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-bench-'))
  const config = loadConfig({
    env: {},
    overrides: { port: 0, host: '127.0.0.1', dataDir, logLevel: 'error', databaseUrl: process.env.DATABASE_URL || undefined, plugins: { overseerr: { enabled: true } } },
    cwd: dataDir,
  })
  const app = await startMediaNest({ config, log: createLogger('error') })
  const db = app.db.knex
  try {
    const log = (line: string) => process.stderr.write(`${line}\n`)
    const { userIds } = await generateMediaRequests(db, { rows: SMALL, people: 1000, run: 'small', log })
    const someone = userIds[7]
    const pages: Page[] = [
      // The same queries the routes run (request-pages.ts).
      { name: 'My requests, page 1', queries: (d) => [listQuery(d, { userId: someone })] },
      { name: 'My requests, page 1, status completed', queries: (d) => [listQuery(d, { userId: someone, statuses: ['completed'] })] },
      { name: 'Admin queue, page 1 (pending) + the pending count', queries: (d) => [listQuery(d, { statuses: ['pending'] }), pendingCountQuery(d)] },
      { name: 'Admin queue, page 1 (open, movies)', queries: (d) => [listQuery(d, { statuses: OPEN_STATUSES, mediaType: 'movie' })] },
    ]
    const small = await measure(db, pages, `${SMALL.toLocaleString('en')} rows`)
    // The same 1000 people get the rest, so "my requests" grows with the table.
    if (ROWS > SMALL) await generateMediaRequests(db, { rows: ROWS - SMALL, userIds, log })
    const large = await measure(db, pages, `${ROWS.toLocaleString('en')} rows`)
    console.log('\n## Summary')
    for (const page of pages) {
      const a = small.get(page.name)!
      const b = large.get(page.name)!
      console.log(`${page.name}: ${a.toFixed(2)} ms at ${SMALL.toLocaleString('en')}, ${b.toFixed(2)} ms at ${ROWS.toLocaleString('en')} (${(b / a).toFixed(2)}×) — ${b < TARGET_MS ? 'under' : 'OVER'} ${TARGET_MS} ms, ${b / a <= RATIO ? 'within' : 'OUTSIDE'} ${RATIO}×`)
    }
  } finally {
    await app.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
