#!/usr/bin/env node
// `npm test`: type-check, lint, htmx-4 idiom check, then every mocha test on one
// backend: PGlite, or the PostgreSQL server named by TEST_DATABASE_URL.
//
// The files run in parallel workers (mocha --parallel), longest first as the last run
// measured them, so the slowest file does not start last. A file that needs the machine
// to itself says so in its first lines with `@serial: <why>`; those run after the rest,
// one at a time. At the end: the wall time and the slowest files, so the next slow test
// is a number, not a guess.
//
//   npm test                      everything
//   npm test -- test/core/x.test.ts [more files]
//   MEDIANEST_SKIP_STATIC_CHECKS=1  tests only (CI runs the static checks once)
//   MEDIANEST_BROWSER_TESTS=all   test/e2e too (the default); `backend-specific`: only the
//                                   browser tests marked `@backend-specific: <why>`; `none`
//                                   (.ci/run says which pass runs which, and why)
//   MEDIANEST_SKIP_BACKEND_FREE=1   skip the files marked `@backend-free: <why>` (what they
//                                   check cannot differ between databases): CI runs them in
//                                   one pass. MEDIANEST_BROWSER_TESTS does not apply to them.
//   MEDIANEST_TEST_JOBS=n           workers (default: cores + 2; at least 2, since mocha runs
//                                   --parallel --jobs=1 serially, in one process). A browser
//                                   test waits on Chromium and the server far more than it
//                                   computes: at cores + 1 the cores sat a third idle.
//   npm test -- test/core           a folder stands for every test file under it
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'medianest', 'test-timings.json')
const SLOWEST = 15
const env = { ...process.env, NODE_ENV: 'test' }
const started = Date.now()
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`

const run = (label, cmd, args, extraEnv = {}) => {
  process.stdout.write(`\n== ${label}\n`)
  const t = Date.now()
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...env, ...extraEnv }, cwd: ROOT })
  process.stdout.write(`== ${label}: ${seconds(Date.now() - t)}\n`)
  return r.status === 0
}
const mustRun = (label, cmd, args) => {
  if (!run(label, cmd, args)) {
    process.stdout.write(`\n${label} failed\n`)
    process.exit(1)
  }
}

const url = process.env.TEST_DATABASE_URL
// Names the migrated template databases this run makes on the server (test/support/test-db.ts).
const testRun = `${process.pid}${Date.now().toString(36)}`
env.MEDIANEST_TEST_RUN = testRun
if (url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  try {
    await client.connect()
    await client.end()
  } catch (error) {
    process.stdout.write(`PostgreSQL at TEST_DATABASE_URL is not reachable: ${error.message}\n`)
    process.exit(1)
  }
}

const only = process.argv.slice(2)
// The static checks do not depend on the database or the Node version: CI runs them once.
if (!only.length && process.env.MEDIANEST_SKIP_STATIC_CHECKS !== '1') {
  mustRun('type check (tsc --noEmit)', 'npx', ['tsc', '--noEmit'])
  mustRun('lint (eslint)', 'npx', ['eslint', '--max-warnings=0', '.'])
  mustRun('htmx 4 idioms (upgrade-check)', 'npx', ['htmx.org', 'upgrade-check', '--ext', '.eta', 'views', 'plugins'])
  mustRun('core imports (dependency-cruiser: no circle, no plugin)', 'npx', ['depcruise', '--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'core'])
  mustRun('core names no plugin (scripts/check-core-names.js)', process.execPath, ['scripts/check-core-names.js'])
}

// Several test files start the compiled server; building it here, once, keeps two
// workers from compiling into build/ at the same time.
mustRun('build (scripts/build.js --if-stale)', process.execPath, ['scripts/build.js', '--if-stale'])

function testFiles(dir) {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((d) => {
    const rel = path.join(dir, d.name)
    if (d.isDirectory()) return d.name === 'fixtures' || d.name === 'node_modules' ? [] : testFiles(rel)
    return d.name.endsWith('.test.ts') ? [rel] : []
  })
}

const header = (f) => fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n', 12).join('\n')
let files = only.length
  ? only.flatMap((f) => {
    const rel = path.relative(ROOT, path.resolve(f))
    return fs.statSync(path.join(ROOT, rel)).isDirectory() ? testFiles(rel) : [rel]
  })
  : testFiles('test')
const browserTests = only.length ? 'all' : process.env.MEDIANEST_BROWSER_TESTS ?? 'all'
if (!['all', 'backend-specific', 'none'].includes(browserTests)) {
  process.stdout.write(`MEDIANEST_BROWSER_TESTS is "${browserTests}"; use all, backend-specific or none.\n`)
  process.exit(2)
}
const isBrowserTest = (f) => f.startsWith(`test${path.sep}e2e${path.sep}`)
const backendFree = (f) => /@backend-free:/.test(header(f))
files = files.filter((f) => backendFree(f)
  ? process.env.MEDIANEST_SKIP_BACKEND_FREE !== '1' || only.length > 0
  : !isBrowserTest(f) || browserTests === 'all' || (browserTests === 'backend-specific' && /@backend-specific:/.test(header(f))))

// Longest first, by the last run's figures; a file never measured (a fresh clone) counts
// as long, browser tests longest, then by size.
const last = fs.existsSync(CACHE) ? JSON.parse(fs.readFileSync(CACHE, 'utf8')) : {}
const size = (f) => fs.statSync(path.join(ROOT, f)).size
const expected = (f) => last[f]?.ms ?? (f.startsWith(`test${path.sep}e2e${path.sep}`) ? 120_000 : 60_000) + size(f)
files.sort((a, b) => expected(b) - expected(a))
const isSerial = (f) => /@serial:/.test(header(f))
const serial = files.filter(isSerial)
const parallel = files.filter((f) => !serial.includes(f))

const jobs = Math.max(2, Number(process.env.MEDIANEST_TEST_JOBS) || os.availableParallelism() + 2)
const timings = path.join(os.tmpdir(), `medianest-test-timings-${process.pid}.jsonl`)
fs.rmSync(timings, { force: true })
const backend = url ? 'PostgreSQL' : 'PGlite'
let ok = true
if (parallel.length) {
  ok = run(`tests on ${backend}: ${parallel.length} files, ${jobs} at a time`, 'npx',
    ['mocha', '--parallel', `--jobs=${jobs}`, ...parallel], { MEDIANEST_TEST_TIMINGS: timings }) && ok
}
// One mocha per file: `--parallel --jobs=1` is not parallel mode at all (mocha then loads
// every file into its own process, where root hooks run once for all of them).
for (const file of serial) {
  ok = run(`tests on ${backend}: ${file}, which needs the machine to itself`, 'npx',
    ['mocha', '--parallel', '--jobs=2', file], { MEDIANEST_TEST_TIMINGS: timings }) && ok
}

if (url) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const { rows } = await client.query('select datname from pg_database where datname like $1', [`mn\\_tpl\\_${testRun}\\_%`])
  for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`)
  await client.end()
}

// The report, and the figures the next run orders its files by.
const measured = fs.existsSync(timings)
  ? fs.readFileSync(timings, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  : []
fs.rmSync(timings, { force: true })
fs.mkdirSync(path.dirname(CACHE), { recursive: true })
fs.writeFileSync(CACHE, JSON.stringify({ ...last, ...Object.fromEntries(measured.map((m) => [m.file, { ms: m.ms, cpuMs: m.cpuMs }])) }, null, 1))
measured.sort((a, b) => b.ms - a.ms)
const sum = (key) => measured.reduce((total, m) => total + (m[key] ?? 0), 0)
process.stdout.write(`\n== the ${Math.min(SLOWEST, measured.length)} slowest of ${measured.length} test files (${backend}): wall, CPU (with child processes)\n`)
for (const m of measured.slice(0, SLOWEST)) process.stdout.write(`${seconds(m.ms).padStart(9)} ${seconds(m.cpuMs ?? 0).padStart(9)}  ${m.file}\n`)
process.stdout.write(`== ${backend}: ${seconds(Date.now() - started)} wall in all; the files' own times add up to ${seconds(sum('ms'))}, ` +
  `their CPU to ${seconds(sum('cpuMs'))}` +
  `${browserTests === 'all' ? '' : `; browser tests: ${browserTests} (MEDIANEST_BROWSER_TESTS)`}\n`)
if (!url && !only.length) {
  process.stdout.write('The PostgreSQL pass was skipped: set TEST_DATABASE_URL=postgres://… to run it (CI runs both).\n')
}
process.exit(ok ? 0 : 1)
