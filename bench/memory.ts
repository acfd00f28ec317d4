// The memory of the MediaNest server process alone, as people run it: `node
// build/core/server.js` with the node flags and environment `npm start` gives it (read from
// package.json's start script; the compiled build, no npm or tsx around it), NODE_ENV=production,
// the default config (all five first-party plugins on), PostgreSQL. Its RSS (VmRSS from
// /proc/<pid>/status, sampled every 250 ms) idle, at its peak under load on each signed-in
// page, and 10 s after the load. The load (autocannon) runs in this process, not the server's.
//
//   node scripts/build.js && node build/bench/memory.js
//   MEMORY_NODE_FLAGS= node build/bench/memory.js          bare node: no flags, no environment from npm start
//   MEMORY_NODE_FLAGS=--max-semi-space-size=4 node build/bench/memory.js   to compare flags
//
// Knobs: MEMORY_NODE_FLAGS (node flags, placed before the script; when set, npm start's
// flags and environment are not used), MEMORY_IDLE_SECONDS (30;
// "idle" is the median of its last 10 s), BENCH_CONNECTIONS (50), BENCH_SECONDS (20 per page,
// after BENCH_WARMUP_SECONDS, 2). The database: DATABASE_URL (an existing one, kept), else a
// fresh `medianest_memory_<pid>` on BENCH_POSTGRES (postgres://postgres@127.0.0.1:5432/postgres),
// dropped at the end. Run by hand, never in CI: it is a measurement, so it exits 0 whatever the
// figures, and 1 only when it could not measure (the server died, sign-in failed, a page was not 200).
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { hashPassword } from '../core/auth/passwords.ts'
import { alignColumns, freePort, freshPostgres, loadFromEnv, measure, median, signInAt, type BenchDatabase, type Load, type Result, type Target } from './harness.ts'

const LOAD: Load = { ...loadFromEnv(50), seconds: Number(process.env.BENCH_SECONDS ?? 20), rounds: 1 }
const IDLE_SECONDS = Number(process.env.MEMORY_IDLE_SECONDS ?? 30)
/** Idle RSS is the median of this last stretch of the idle time: start-up's garbage is collected by then. */
const IDLE_WINDOW_MS = 10_000
const AFTER_LOAD_MS = 10_000
const SAMPLE_MS = 250
const ADMIN = { email: 'memory-bench@example.com', password: 'a benchmark passphrase' }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const mb = (kb: number) => (kb / 1024).toFixed(1)
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ')

// Compiled, this file is build/bench/memory.js; from the sources, bench/memory.ts.
function repositoryRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url))
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error('no package.json above this file')
    dir = parent
  }
  return dir
}

class Server {
  exit = ''
  private output = ''
  readonly url: string
  readonly exited: Promise<void>
  private readonly child: ChildProcessByStdio<null, Readable, Readable>

  constructor(root: string, port: number, env: NodeJS.ProcessEnv) {
    this.url = `http://127.0.0.1:${port}`
    this.child = spawn(process.execPath, [...NODE_FLAGS, 'build/core/server.js'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    // Only the tail is kept: the bench's own memory is not what is measured, but it shares the machine.
    const keep = (d: Buffer) => { this.output = (this.output + d).slice(-8192) }
    this.child.stdout.on('data', keep)
    this.child.stderr.on('data', keep)
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => { this.exit = signal ?? `code ${code}`; resolve() }))
  }

  get pid(): number { return this.child.pid! }
  tail(): string { return this.output.trimEnd().split('\n').slice(-30).join('\n') }

  /** VmRSS in kB; NaN once the process is gone (a zombie has no VmRSS line). */
  rssKb(): number {
    try {
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1])
    } catch {
      return NaN
    }
  }

  alive(what: string): void {
    if (this.exit) throw new Error(`the server exited (${this.exit}) ${what}`)
  }

  async stop(): Promise<void> {
    if (this.exit) return
    this.child.kill('SIGTERM')
    // Its own shutdown gives up after shutdownTimeout (5 s); past that it hangs.
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000)
    await this.exited
    clearTimeout(timer)
  }
}

/** The server's RSS every SAMPLE_MS while `work` runs. */
async function sampled<T>(server: Server, work: Promise<T>): Promise<{ value: T; samples: number[] }> {
  const samples = [server.rssKb()]
  const timer = setInterval(() => samples.push(server.rssKb()), SAMPLE_MS)
  try {
    return { value: await work, samples }
  } finally {
    clearInterval(timer)
  }
}

async function waitForHealthz(server: Server): Promise<void> {
  const started = performance.now()
  for (;;) {
    server.alive('before /healthz answered')
    if (await fetch(`${server.url}/healthz`).then((r) => r.status === 200, () => false)) return
    if (performance.now() - started > 120_000) throw new Error('no 200 from /healthz after 120 s')
    await sleep(50)
  }
}

/** An admin (so /monitor shows everything), written into the server's database, signed in through the login form. */
async function signedInAdmin(server: Server, databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(`insert into users (email, name, role, password_hash) values ($1, 'Memory bench', 'ADMIN', $2)`,
      [ADMIN.email, await hashPassword(ADMIN.password)])
  } finally {
    await client.end()
  }
  return signInAt(server.url, ADMIN.email, ADMIN.password)
}

const root = repositoryRoot()

/** `npm start`'s `NAME=value … exec node <flags> build/core/server.js`, unless MEMORY_NODE_FLAGS says otherwise. */
function startCommand(): { flags: string[]; env: Record<string, string> } {
  if (process.env.MEMORY_NODE_FLAGS !== undefined) return { flags: process.env.MEMORY_NODE_FLAGS.split(/\s+/).filter(Boolean), env: {} }
  const start: string = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.start
  const parsed = /^((?:[A-Z_]+=\S+\s+)*)exec node\s+(.*?)\s*build\/core\/server\.js$/.exec(start.trim())
  if (!parsed) throw new Error(`package.json's start script is not "[NAME=value …] exec node [flags] build/core/server.js": ${start}`)
  const env = Object.fromEntries(parsed[1].split(/\s+/).filter(Boolean).map((pair) => pair.split('=') as [string, string]))
  return { flags: parsed[2].split(/\s+/).filter(Boolean), env }
}
const { flags: NODE_FLAGS, env: START_ENV } = startCommand()
const launched = `${Object.entries(START_ENV).map(([k, v]) => `${k}=${v} `).join('')}node ${[...NODE_FLAGS, 'build/core/server.js'].join(' ')}`
const startLoad = loadavg()
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-memory-'))
let database: (BenchDatabase & { url: string }) | null = null
let server: Server | null = null
let cleaning: Promise<void> | null = null
const cleanup = () => (cleaning ??= (async () => {
  await server?.stop()
  await database?.drop().catch((error: Error) => process.stderr.write(`could not drop the database: ${error.message}\n`))
  fs.rmSync(tmp, { recursive: true, force: true })
})())
// Ctrl-C reaches the server too (same process group); the database is ours to drop.
process.once('SIGINT', () => { void cleanup().then(() => process.exit(130)) })

process.stderr.write(`Node ${process.version}, ${os.cpus().length} CPUs, load ${startLoad}; node flags: ${NODE_FLAGS.join(' ') || '(none)'}\n`)
try {
  if (!fs.existsSync(path.join(root, 'build/core/server.js'))) throw new Error('no build/core/server.js: run `node scripts/build.js` first')
  database = await freshPostgres('medianest_memory')
  // The defaults, as people run them, except the per-user rate limit (so the load counts
  // but is never refused) and youtube's library folder (out of the repository's data/).
  const configFile = path.join(tmp, 'medianest.config.json')
  fs.writeFileSync(configFile, JSON.stringify({
    rateLimits: { authenticated: { limit: 1_000_000, window: '1m' } },
    plugins: { youtube: { config: { libraryPath: path.join(tmp, 'youtube') } } },
  }, null, 2))
  const port = await freePort()
  server = new Server(root, port, {
    ...process.env, ...START_ENV, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: path.join(tmp, 'data'),
    DATABASE_URL: database.url, MEDIANEST_SECRET: 'memory-bench-secret-of-32-characters!', MEDIANEST_CONFIG: configFile,
  })
  await waitForHealthz(server)

  process.stderr.write(`  /healthz answered; idle for ${IDLE_SECONDS} s\n`)
  const windowMs = Math.min(IDLE_WINDOW_MS, IDLE_SECONDS * 1000)
  await sleep(IDLE_SECONDS * 1000 - windowMs)
  const idle = await sampled(server, sleep(windowMs))
  server.alive('while idle')
  const idleKb = median(idle.samples)

  const cookie = await signedInAdmin(server, database.url)
  const headers = { Cookie: cookie, Accept: 'text/html' }
  const url = server.url
  const targets: Target[] = ['/', '/notifications', '/overseerr/requests', '/monitor']
    .map((page) => ({ name: `GET ${page}`, url: `${url}${page}`, headers }))
  for (const target of targets) {
    const res = await fetch(target.url, { headers, redirect: 'manual' })
    if (res.status !== 200) throw new Error(`${target.name} signed in answered ${res.status}, not 200`)
  }

  const loaded: Array<{ result: Result; peakKb: number }> = []
  for (const target of targets) {
    const { value: result, samples } = await sampled(server, measure(target, LOAD))
    server.alive(`under load (${target.name})`)
    loaded.push({ result, peakKb: Math.max(...samples) })
  }
  await sleep(AFTER_LOAD_MS)
  server.alive('after the load')
  const afterKb = server.rssKb()

  const stopping = performance.now()
  await server.stop()
  process.stderr.write(`  SIGTERM: exited (${server.exit}) in ${(performance.now() - stopping).toFixed(0)} ms\n`)

  console.log(`\nThe server process alone: ${launched}, NODE_ENV=production, ` +
    `all five first-party plugins, ${database.label}`)
  console.log(`Node ${process.version}, node flags: ${NODE_FLAGS.join(' ') || '(none)'}, load average at start ${startLoad}, ${os.cpus().length} CPUs`)
  console.log(`Load: ${LOAD.connections} connections, ${LOAD.seconds} s per page after a ${LOAD.warmupSeconds} s warm-up, signed in as an admin\n`)
  console.log(alignColumns([
    ['', 'req/s', 'non-2xx', 'errors', 'RSS MB'],
    [`idle (median of the last ${windowMs / 1000} s of ${IDLE_SECONDS} s)`, '–', '–', '–', mb(idleKb)],
    ...loaded.map(({ result, peakKb }) => [`${result.name}, peak`, Math.round(result.requests).toString(), String(result.non2xx), String(result.errors), mb(peakKb)]),
    [`${AFTER_LOAD_MS / 1000} s after the load`, '–', '–', '–', mb(afterKb)],
  ]))
} catch (error) {
  console.error(`\nmemory bench failed: ${(error as Error).message}`)
  if (server) console.error(`\nthe server's last output${server.exit ? ` (it exited: ${server.exit})` : ''}:\n${server.tail() || '(none)'}`)
  process.exitCode = 1
} finally {
  await cleanup()
}
