// Two MediaNest processes behind nginx, and one of them killed with `kill -9` half-way
// through a mixed load: is anything that was acknowledged lost, and does a page's live
// stream carry on through the proxy, on the survivor, without missing an event? The
// check behind docs/deploy.md. Run by hand, never in CI:
//
//   NODE_ENV=production node --import tsx bench/two-instances.ts
//
// Needs /usr/sbin/nginx (`apt-get install nginx`; nothing is installed here), openssl and
// a PostgreSQL server (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432), on
// which it creates a fresh database and drops it at the end. Knobs: DURATION_S (120),
// BENCH_USERS (6).
//
// What runs: two `core/server.ts` processes (all five first-party plugins, one
// DATABASE_URL, one MEDIANEST_SECRET, TRUST_PROXY=1, PUBLIC_URL = nginx's address), nginx
// with docs/deploy.md's block (bench/nginx.ts), and a loopback fake Overseerr. BENCH_USERS
// people sign in with their password now and then (a new browser each time) and request a
// new movie in a loop; an admin approves the requests in order and keeps one live stream
// open (bench/live-watcher.ts), from the mark its page rendered. At half time the process
// holding that stream is killed (its whole process tree, SIGKILL).
//
// What it checks, and exits 1 if any fails: every acknowledged write is in the database
// (each sign-in's session, with the address nginx saw rather than the one the client
// claimed; each request, 303; each approval, 303); every acknowledged request reached the
// admin's inbox (its event survived the kill); the stream reconnected through nginx to the
// survivor with the Last-Event-ID of the last event it had; and it received every
// live_events row addressed to the admin (to the admin, or to their role) after its mark.
// Every process, nginx, the temporary folder and the database are cleaned up, on failure
// and on Ctrl-C too.
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import knexFactory, { type Knex } from 'knex'
import { hashPassword } from '../core/auth/passwords.ts'
import { sessionCookieName } from '../core/auth/cookies.ts'
import { hashToken } from '../core/auth/tokens.ts'
import { TestClient, type ClientResponse } from '../test/support/http-client.ts'
import { startFakeOverseerr } from '../test/support/fake-overseerr.ts'
import { processTree } from '../test/support/process-tree.ts'
import { sleep } from '../test/support/wait-for.ts'
import { nginxMissing, startNginx, UPSTREAM_HEADER, type Nginx } from './nginx.ts'
import { LiveWatcher } from './live-watcher.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const DURATION_S = Number(process.env.DURATION_S ?? 120)
const USERS = Number(process.env.BENCH_USERS ?? 6)
const POSTGRES = (process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '')
const SECRET = 'two-instances-bench-secret-of-32-characters'
const PASSWORD = 'a benchmark passphrase'
/** Sent with every sign-in: the session must record the address nginx saw, never this. */
const SPOOFED_ADDRESS = '203.0.113.9'
/** A person signs in again (a new browser) every this many requests. */
const SIGN_IN_EVERY = 4
/** After the load: how long the jobs of the killed process may take to be taken over (lease 30 s, then backoff). */
const SETTLE_MS = 90_000
const EVENTS_WAIT_MS = 20_000
const SESSION_COOKIE = sessionCookieName({ secure: true })

// ---------- cleaning up, whatever happens

const cleanups: Array<() => Promise<void> | void> = []
let cleaning: Promise<void> | null = null
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      await Promise.resolve().then(fn).catch((error: Error) => { process.stderr.write(`cleaning up: ${error.message}\n`) })
    }
  })()
  return cleaning
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping every process and dropping the database\n`)
    void cleanUp().finally(() => process.exit(130))
  })
}

// ---------- the MediaNest processes

interface Instance {
  name: string
  address: string
  child: ChildProcess
  logFile: string
  /** 'SIGKILL', 'code 0'…; null while running. */
  exitedWith: string | null
  exited: Promise<void>
}

async function freePort(host: string): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** '::1' when this machine has IPv6 loopback: then nginx's client and nginx's own address differ, so trustProxy shows. */
async function clientHost(): Promise<string> {
  return freePort('::1').then(() => '::1', () => '127.0.0.1')
}

function startInstance(name: string, port: number, env: NodeJS.ProcessEnv, logFile: string): Instance {
  const out = fs.openSync(logFile, 'a')
  // The server itself, from the sources (as this script runs): one process, so kill -9 hits the server.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'core/server.ts')], { cwd: root, env, stdio: ['ignore', out, out] })
  fs.closeSync(out)
  const instance: Instance = { name, address: `127.0.0.1:${port}`, child, logFile, exitedWith: null, exited: Promise.resolve() }
  instance.exited = new Promise((resolve) => child.on('exit', (code, signal) => { instance.exitedWith = signal ?? `code ${code}`; resolve() }))
  cleanups.push(() => stopTree(instance))
  return instance
}

async function waitReady(instance: Instance): Promise<void> {
  const until = performance.now() + 90_000
  for (;;) {
    if (instance.exitedWith) throw new Error(`MediaNest ${instance.name} exited (${instance.exitedWith}) before /readyz answered:\n${tail(instance.logFile)}`)
    if (await fetch(`http://${instance.address}/readyz`).then((r) => r.status === 200, () => false)) return
    if (performance.now() > until) throw new Error(`MediaNest ${instance.name} was not ready within 90 s:\n${tail(instance.logFile)}`)
    await sleep(100)
  }
}

function killTree(instance: Instance, signal: NodeJS.Signals): void {
  for (const p of processTree(instance.child.pid!)) {
    try { process.kill(p.pid, signal) } catch { /* gone meanwhile */ }
  }
}

async function stopTree(instance: Instance): Promise<void> {
  if (instance.exitedWith) return
  const tree = processTree(instance.child.pid!)
  instance.child.kill('SIGTERM')
  await Promise.race([instance.exited, sleep(8000)])
  for (const p of tree) {
    try { process.kill(p.pid, 'SIGKILL') } catch { /* gone */ }
  }
  await instance.exited
}

function tail(file: string, lines = 30): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)'
}

/** Levels of the JSON log lines (NODE_ENV=production), and the first few distinct warnings and errors. */
function logSummary(file: string): { counts: Record<string, number>; notable: string[] } {
  const counts: Record<string, number> = {}
  const notable = new Set<string>()
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const entry = JSON.parse(line) as { level?: string; message?: string }
      const level = entry.level ?? '?'
      counts[level] = (counts[level] ?? 0) + 1
      if ((level === 'error' || level === 'warn') && notable.size < 6) notable.add(`${level}: ${String(entry.message).slice(0, 160)}`)
    } catch { /* a line that is not JSON */ }
  }
  return { counts, notable: [...notable] }
}

// ---------- what the load records

type Kind = 'page' | 'sign-in' | 'request' | 'approval'
interface Outcome { kind: Kind; status: number; upstream: string | null; retried: boolean; at: number }
interface BenchUser { id: string; email: string }

const outcomes: Outcome[] = []
const signIns: Array<{ user: BenchUser; tokenHash: string }> = []
const requests: Array<{ id: string; tmdbId: number; title: string; user: BenchUser }> = []
const approvals: string[] = []
/** performance.now() and Date.now() at the kill (the live segments keep wall-clock times). */
let killedAt = Infinity
let killedAtWall = Infinity
/** Module-wide so that a failure anywhere can still show their logs before the folder goes. */
const instances: Instance[] = []

/** Runs one HTTP step and records how it ended (status 0: no answer at all). */
async function step(kind: Kind, send: () => Promise<ClientResponse>): Promise<ClientResponse | null> {
  let res: ClientResponse | null = null
  try {
    res = await send()
  } catch { /* recorded as status 0 */ }
  const tried = res?.headers.get(UPSTREAM_HEADER)?.split(',').map((s) => s.trim()) ?? []
  outcomes.push({ kind, status: res?.status ?? 0, upstream: tried.at(-1) ?? null, retried: tried.length > 1, at: performance.now() })
  return res
}

// ---------- the scenario

async function main(): Promise<number> {
  const missing = nginxMissing()
  if (missing) {
    console.error(missing)
    return 1
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-two-'))
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }))

  // A fresh database, dropped at the end.
  const dbName = `mn_two_instances_${crypto.randomBytes(4).toString('hex')}`
  const server = knexFactory({ client: 'pg', connection: `${POSTGRES}/postgres`, pool: { min: 0, max: 1 } })
  cleanups.push(() => server.destroy())
  try {
    await server.raw(`create database ${dbName}`)
  } catch (error) {
    console.error(`Cannot create a database on ${POSTGRES} (${(error as Error).message}): set BENCH_POSTGRES_URL to a PostgreSQL server this user may create databases on.`)
    return 1
  }
  cleanups.push(() => server.raw(`drop database if exists ${dbName} with (force)`).then(() => undefined))
  const databaseUrl = `${POSTGRES}/${dbName}`
  const db: Knex = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 4 } })
  cleanups.push(() => db.destroy())

  const fake = await startFakeOverseerr()
  cleanups.push(() => fake.close())

  // The file every process reads: all five plugins, and limits raised so that they never
  // refuse the bench's load (it checks what is kept, not the limits).
  const configFile = path.join(tmp, 'medianest.config.json')
  fs.writeFileSync(configFile, JSON.stringify({
    plugins: {
      'plex-auth': { enabled: true },
      overseerr: { enabled: true, config: { requestsPerHour: 10_000, timeoutMs: 5000 } },
      youtube: { enabled: true, config: { libraryPath: path.join(tmp, 'youtube') } },
      monitor: { enabled: true },
      notifications: { enabled: true },
    },
    rateLimits: { authenticated: { limit: 1_000_000, window: '1m' } },
  }, null, 2))

  const frontHost = await clientHost()
  const frontPort = await freePort(frontHost)
  const publicUrl = `https://${frontHost.includes(':') ? `[${frontHost}]` : frontHost}:${frontPort}`
  const baseEnv: NodeJS.ProcessEnv = { ...process.env }
  delete baseEnv.NODE_TLS_REJECT_UNAUTHORIZED
  delete baseEnv.MEDIANEST_ADMIN_EMAIL
  delete baseEnv.MEDIANEST_ADMIN_PASSWORD
  for (const name of ['a', 'b']) {
    const port = await freePort('127.0.0.1')
    instances.push(startInstance(name, port, {
      ...baseEnv, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl,
      MEDIANEST_SECRET: SECRET, TRUST_PROXY: '1', PUBLIC_URL: publicUrl, MEDIANEST_CONFIG: configFile,
      DATA_DIR: path.join(tmp, `data-${name}`), LOG_LEVEL: 'info',
    }, path.join(tmp, `medianest-${name}.log`)))
  }
  // Both at once: migrations take turns under their advisory lock.
  await Promise.all(instances.map(waitReady))

  const hash = await hashPassword(PASSWORD)
  const users: BenchUser[] = await db('users')
    .insert(Array.from({ length: USERS }, (_, i) => ({ email: `person${i + 1}@bench.example`, name: `Person ${i + 1}`, role: 'USER', password_hash: hash })))
    .returning(['id', 'email'])
  const [admin]: BenchUser[] = await db('users').insert({ email: 'admin@bench.example', name: 'Admin', role: 'ADMIN', password_hash: hash }).returning(['id', 'email'])

  // Loopback only, and the certificate is the one bench/nginx.ts just made.
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'
  const nginx: Nginx = await startNginx({ host: frontHost, port: frontPort, upstreams: instances.map((i) => i.address) })
  cleanups.push(() => nginx.stop())
  const base = nginx.url

  const signIn = async (user: BenchUser): Promise<TestClient | null> => {
    const client = new TestClient(base)
    if ((await step('page', () => client.get('/login')))?.status !== 200) return null
    const res = await step('sign-in', () => client.post('/login', { email: user.email, password: PASSWORD }, { headers: { Origin: base, 'X-Forwarded-For': SPOOFED_ADDRESS } }))
    const token = client.cookie(SESSION_COOKIE)
    if (res?.status !== 303 || !token) return null
    signIns.push({ user, tokenHash: hashToken(token) })
    return client
  }

  // The admin: signed in, the overseerr service saved through the admin form, the page's mark.
  const adminClient = await signIn(admin)
  if (!adminClient) throw new Error('The admin could not sign in through nginx: see the outcomes above.')
  const home = await adminClient.get('/')
  const since = /hx-sse:connect="(\/events[^"]*)"/.exec(home.text)?.[1]
  if (home.status !== 200 || !since) throw new Error(`GET / through nginx answered ${home.status} without the live stream's element`)
  const mark = /since=(\d+)/.exec(since)?.[1] ?? '0'
  await adminClient.get('/admin/services/new')
  const saved = await adminClient.post('/admin/services', {
    service_name: 'overseerr', service_name_other: '', service_url: fake.url, api_key: fake.apiKey, enabled: '1', config_data: '{}',
  }, { headers: { Origin: base } })
  if (saved.status !== 303) throw new Error(`Saving the overseerr service answered ${saved.status}, not 303:\n${saved.text.slice(0, 500)}`)

  const watcher = new LiveWatcher(base, { Cookie: adminClient.cookieHeader() }, since, UPSTREAM_HEADER)
  watcher.start()
  cleanups.push(() => watcher.stop())

  process.stderr.write(`Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ` +
    `${DURATION_S} s of load, ${USERS} people + 1 admin, through ${base}\n`)

  // ---- the load
  const started = performance.now()
  const until = started + DURATION_S * 1000
  let nextTmdbId = 500_000

  const browse = async (user: BenchUser) => {
    let client: TestClient | null = null
    for (let round = 0; performance.now() < until; round++) {
      if (!client || round % SIGN_IN_EVERY === 0) client = (await signIn(user)) ?? client
      if (client && (await step('page', () => client!.get('/overseerr')))?.status === 200) {
        const tmdbId = nextTmdbId++
        const title = `Bench movie ${tmdbId}`
        fake.addTitle({ mediaType: 'movie', tmdbId, title, year: 2020 })
        const res = await step('request', () => client!.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) }, { headers: { Origin: base } }))
        const id = res?.status === 303 ? /^\/overseerr\/requests\/([0-9a-f-]{36})$/.exec(res.location ?? '')?.[1] : undefined
        if (id) requests.push({ id, tmdbId, title, user })
      }
      await sleep(100 + Math.random() * 200)
    }
  }

  const approve = async () => {
    let next = 0
    while (performance.now() < until) {
      const request = requests[next]
      if (request) {
        const res = await step('approval', () => adminClient.post(`/admin/overseerr/requests/${request.id}/approve`, {}, { headers: { Origin: base } }))
        if (res?.status === 303) approvals.push(request.id)
        // 409: an earlier approval of it went through although its answer was lost.
        if (res?.status === 303 || res?.status === 409) next++
      }
      await sleep(150 + Math.random() * 150)
    }
  }

  // The process holding the stream, so that the stream has to reconnect.
  const holding = async () => {
    await sleep(Math.max(0, started + DURATION_S * 500 - performance.now()))
    const address = watcher.current()?.upstream
    const victim = instances.find((i) => i.address === address)
    const chosen = victim ?? instances[0]
    killTree(chosen, 'SIGKILL')
    killedAt = performance.now()
    killedAtWall = Date.now()
    process.stderr.write(`  ${((killedAt - started) / 1000).toFixed(1)} s: kill -9 MediaNest ${chosen.name} (${chosen.address})` +
      `${victim ? ', which held the live stream' : `; the stream's process was not known (${address ?? 'no header'})`}\n`)
    await chosen.exited
    // The jobs it was running: leased to it (workerId is "<pid>-<random>"), they wait for their lease to expire.
    const heldJobs: Array<{ id: string; name: string }> = await db('jobs').where({ status: 'running' })
      .where('lease_owner', 'like', `${chosen.child.pid}-%`).select('id', 'name')
    return { killed: chosen, heldStream: Boolean(victim), heldJobs }
  }

  const [{ killed, heldStream, heldJobs }] = await Promise.all([holding(), approve(), ...users.map(browse)])
  const loadMs = performance.now() - started
  const survivor = instances.find((i) => i !== killed)!
  process.stderr.write(`  load over after ${(loadMs / 1000).toFixed(1)} s; waiting for the killed process's jobs to be taken over\n`)

  // ---- settle: the dead process's leased jobs run again on the survivor
  const settleStarted = performance.now()
  const inbox = async () => new Set((await db('notifications').where({ user_id: admin.id, type: 'overseerr.request.created' }).select('message'))
    .map((n: { message: string }) => /requested (Bench movie \d+);/.exec(n.message)?.[1]).filter(Boolean))
  const unsent = async () => approvals.length === 0 ? 0 : Number((await db('media_requests').whereIn('id', approvals).where({ status: 'approved' }).count({ n: '*' }))[0].n)
  const unfinished = async () => heldJobs.length === 0 ? 0
    : Number((await db('jobs').whereIn('id', heldJobs.map((j) => j.id)).whereIn('status', ['queued', 'running']).count({ n: '*' }))[0].n)
  for (;;) {
    const notified = await inbox()
    const waiting = requests.filter((r) => !notified.has(r.title)).length + await unsent() + await unfinished()
    if (waiting === 0 || performance.now() - settleStarted > SETTLE_MS) break
    await sleep(500)
  }
  const settleMs = performance.now() - settleStarted

  // ---- the live stream: every event for the admin up to now, after the page's mark
  const [{ max }] = await db('live_events').max({ max: 'id' })
  const expected: Array<{ id: string; user_id: string | null; created_at: Date }> = await db('live_events')
    .where('id', '>', mark).andWhere('id', '<=', max ?? 0)
    .andWhere((q) => { q.whereRaw('user_id::text = ?', [admin.id]).orWhereIn('role', ['USER', 'ADMIN']) })
    .select(db.raw('id::text as id'), 'user_id', 'created_at').orderBy('id')
  const eventsUntil = performance.now() + EVENTS_WAIT_MS
  while (expected.some((e) => !watcher.ids().includes(e.id)) && performance.now() < eventsUntil) await sleep(100)
  const received = watcher.ids()
  await watcher.stop()

  // ---- checks
  const checks: Array<{ ok: boolean; what: string; detail: string }> = []
  const check = (ok: boolean, what: string, detail: string) => checks.push({ ok, what, detail })
  const beforeKill = outcomes.filter((o) => o.at < killedAt)
  const afterKill = outcomes.filter((o) => o.at >= killedAt)

  const servedBefore = instances.map((i) => beforeKill.filter((o) => o.upstream === i.address).length)
  check(servedBefore.every((n) => n > 0), 'nginx spread the load over both processes', instances.map((i, n) => `${i.name} ${servedBefore[n]}`).join(', ') + ' answers before the kill')
  check(killed.exitedWith === 'SIGKILL' && heldStream, 'the process holding the live stream was killed with SIGKILL', `${killed.name}: ${killed.exitedWith}${heldStream ? '' : ', but it did not hold the stream'}`)

  const sessions: Array<{ session_token: string; user_id: string; ip: string | null }> = signIns.length
    ? await db('sessions').whereIn('session_token', signIns.map((s) => s.tokenHash)).select('session_token', 'user_id', 'ip') : []
  const sessionOf = new Map(sessions.map((s) => [s.session_token, s]))
  const lostSessions = signIns.filter((s) => sessionOf.get(s.tokenHash)?.user_id !== s.user.id)
  check(lostSessions.length === 0, 'every acknowledged sign-in has its session', `${signIns.length - lostSessions.length} of ${signIns.length}`)
  const addresses = [...new Set(sessions.map((s) => s.ip))]
  check(addresses.length === 1 && addresses[0] === frontHost, 'sessions record the address nginx saw (trustProxy 1), not the X-Forwarded-For the client sent',
    `${addresses.join(', ')}${frontHost === '127.0.0.1' ? ' (no IPv6 loopback here: nginx and its client share 127.0.0.1, so this only shows the spoofed address was ignored)' : ` (nginx connects to MediaNest from 127.0.0.1; the client claimed ${SPOOFED_ADDRESS})`}`)

  const rows: Array<{ id: string; user_id: string; tmdb_id: number }> = requests.length
    ? await db('media_requests').whereIn('id', requests.map((r) => r.id)).select('id', 'user_id', 'tmdb_id') : []
  const rowOf = new Map(rows.map((r) => [r.id, r]))
  const lostRequests = requests.filter((r) => rowOf.get(r.id)?.user_id !== r.user.id || rowOf.get(r.id)?.tmdb_id !== r.tmdbId)
  check(lostRequests.length === 0, 'every acknowledged request is in media_requests', `${requests.length - lostRequests.length} of ${requests.length}${lostRequests.length ? `; missing ${lostRequests.slice(0, 5).map((r) => r.id).join(', ')}` : ''}`)

  const approvedRows: Array<{ request_id: string }> = approvals.length
    ? await db('media_request_timeline').whereIn('request_id', approvals).where({ to_status: 'approved' }).distinct('request_id') : []
  check(approvedRows.length === approvals.length, 'every acknowledged approval is in the request timeline', `${approvedRows.length} of ${approvals.length}`)
  const stillUnsent = await unsent()
  check(stillUnsent === 0, 'every approved request was sent to Overseerr (jobs of the killed process taken over)', `${approvals.length - stillUnsent} of ${approvals.length}`)

  const heldNow: Array<{ name: string; status: string; last_error: string | null }> = heldJobs.length
    ? await db('jobs').whereIn('id', heldJobs.map((j) => j.id)).select('name', 'status', 'last_error') : []
  const rerun = heldNow.filter((j) => j.status === 'succeeded' && j.last_error?.includes('lost its lease'))
  check(rerun.length === heldJobs.length, 'every job the killed process was running was run again, to success, after its lease expired',
    `${rerun.length} of ${heldJobs.length}${heldJobs.length ? ` (${[...new Set(heldJobs.map((j) => j.name))].join(', ')})` : ': it held none at that moment'}` +
    heldNow.filter((j) => !rerun.includes(j)).map((j) => `; ${j.name} is ${j.status}: ${j.last_error ?? ''}`).join(''))

  const notified = await inbox()
  const unnotified = requests.filter((r) => !notified.has(r.title))
  check(unnotified.length === 0, "every acknowledged request reached the admin's inbox", `${requests.length - unnotified.length} of ${requests.length}, ${(settleMs / 1000).toFixed(1)} s after the load`)

  const afterKillSegments = watcher.segments.filter((s) => s.openedAt >= killedAtWall)
  const reconnected = afterKillSegments.find((s) => s.status === 200)
  const lastBeforeKill = watcher.segments.filter((s) => !afterKillSegments.includes(s)).flatMap((s) => s.client.ids()).at(-1) ?? null
  check(Boolean(reconnected) && reconnected!.upstream === survivor.address && reconnected!.lastEventIdSent === lastBeforeKill && lastBeforeKill !== null,
    'the live stream reconnected through nginx to the survivor, with Last-Event-ID',
    reconnected ? `to ${reconnected.upstream} (${survivor.name}) with Last-Event-ID ${reconnected.lastEventIdSent}; last id received before the kill ${lastBeforeKill}` : 'no stream answered 200 after the kill')
  const got = new Set(received)
  const missed = expected.filter((e) => !got.has(e.id))
  check(missed.length === 0, 'the stream received every event published for the admin', `${expected.length - missed.length} of ${expected.length}${missed.length ? `; missed ids ${missed.slice(0, 10).map((e) => e.id).join(', ')}` : ''}`)

  const ready = await fetch(`${base}/readyz`).then((r) => r.status, () => 0)
  check(ready === 200, 'nginx still serves MediaNest at the end (/readyz)', `answered ${ready}`)

  // ---- report
  const seconds = (at: number) => ((at - started) / 1000).toFixed(1)
  console.log(`\nTwo MediaNest processes behind nginx ${nginx.version}, PostgreSQL, Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`)
  console.log(`${(loadMs / 1000).toFixed(0)} s of load through ${base}, ${USERS} people + 1 admin; nginx ran docs/deploy.md's block with ${nginx.changedLines.length} lines changed (addresses, certificate)`)
  for (const i of instances) console.log(`  ${i.name} ${i.address}: ${i === killed ? `killed at ${seconds(killedAt)} s (${i.exitedWith})` : 'survivor'}`)

  const count = (list: Outcome[], kind: Kind, ok: (s: number) => boolean) => list.filter((o) => o.kind === kind && ok(o.status)).length
  const acked = (s: number) => s === 303 || (s >= 200 && s < 300)
  console.log(`\n  ${'answered 2xx/303'.padEnd(16)} ${'before kill'.padStart(11)} ${'after kill'.padStart(11)}`)
  for (const kind of ['sign-in', 'request', 'approval', 'page'] as const) {
    console.log(`  ${`${kind}s`.padEnd(16)} ${String(count(beforeKill, kind, acked)).padStart(11)} ${String(count(afterKill, kind, acked)).padStart(11)}`)
  }
  const failures = new Map<string, number>()
  for (const o of outcomes) if (!acked(o.status) && !(o.kind === 'page' && o.status === 200)) failures.set(`${o.kind} ${o.status || 'no answer'}`, (failures.get(`${o.kind} ${o.status || 'no answer'}`) ?? 0) + 1)
  console.log(`  not acknowledged: ${[...failures].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}`)
  const firstAckAfter = afterKill.find((o) => acked(o.status) && o.kind !== 'page')
  console.log(`  answered by: ${instances.map((i) => `${i.name} ${outcomes.filter((o) => o.upstream === i.address).length}`).join(', ')}; ` +
    `moved by nginx to the other process after a failure: ${outcomes.filter((o) => o.retried).length}; ` +
    `first acknowledged write after the kill: +${firstAckAfter ? (firstAckAfter.at - killedAt).toFixed(0) : '?'} ms`)

  console.log(`\nlive stream of the admin (from mark ${mark}):`)
  for (const [n, s] of watcher.segments.entries()) {
    const ids = s.client.ids()
    const replayed = ids.filter((id) => (expected.find((e) => e.id === id)?.created_at.getTime() ?? Infinity) < s.openedAt).length
    const who = instances.find((i) => i.address === s.upstream)?.name ?? s.upstream ?? '?'
    console.log(`  ${n + 1}. ${s.status} from ${who}, ${s.lastEventIdSent ? `Last-Event-ID ${s.lastEventIdSent}` : `?since=${mark}`}, ` +
      `${ids.length} events (${replayed} published before it opened), ${s.endedAt ? `broke after ${((s.endedAt - s.openedAt) / 1000).toFixed(1)} s` : 'open until the end'}`)
  }
  if (reconnected) console.log(`  reconnected ${((reconnected.openedAt - killedAtWall) / 1000).toFixed(1)} s after the kill (the stream's retry is 3 s)`)
  const personal = expected.filter((e) => e.user_id !== null).length
  console.log(`  published for the admin: ${expected.length} (${personal} to the admin, ${expected.length - personal} to a role); received ${got.size}, ` +
    `missed ${missed.length}, received twice ${received.length - got.size}; failed connections ${watcher.failedOpens}`)

  const jobs: Array<{ status: string; n: number }> = await db('jobs').select('status').count({ n: '*' }).groupBy('status')
  console.log(`\njobs: ${jobs.map((j) => `${j.status} ${j.n}`).join(', ')}; held by the killed process: ${heldJobs.length}, run again on the survivor: ${rerun.length}`)
  for (const j of await db('jobs').where({ status: 'failed' }).select('name', 'last_error').limit(5)) console.log(`  failed ${j.name}: ${String(j.last_error).slice(0, 200)}`)

  console.log('\nlogs:')
  for (const i of instances) {
    const { counts, notable } = logSummary(i.logFile)
    console.log(`  ${i.name}: ${Object.entries(counts).map(([level, n]) => `${level} ${n}`).join(', ')}`)
    for (const line of notable) console.log(`    ${line}`)
  }
  const upstreamErrors = nginx.errorLog().split('\n').filter((l) => /\[error\]/.test(l)).length
  console.log(`  nginx: ${upstreamErrors} [error] lines (requests to the killed process)`)

  console.log('\nchecks:')
  for (const c of checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`)
  const failed = checks.filter((c) => !c.ok)
  if (failed.length) {
    console.log(`\n${failed.length} check(s) failed. The processes' last log lines:`)
    for (const i of instances) console.log(`--- ${i.name} (${i.logFile})\n${tail(i.logFile)}`)
    console.log(`--- nginx\n${nginx.errorLog().trimEnd().split('\n').slice(-20).join('\n')}`)
  }
  return failed.length ? 1 : 0
}

let code = 1
try {
  code = await main()
} catch (error) {
  console.error(error instanceof Error ? error.stack ?? error.message : error)
  for (const i of instances) console.error(`--- MediaNest ${i.name} (${i.exitedWith ?? 'running'}), last log lines:\n${tail(i.logFile)}`)
} finally {
  await cleanUp()
}
process.exit(code)
