// What the HTTP benchmarks share (bench/run.ts, bench/install.ts), so the two measure the
// same way: the load (autocannon in a worker thread), the same-run baseline (a bare Express
// "hello"), a MediaNest booted as production boots it (startMediaNest) with the per-user
// rate limit raised so it counts but never refuses, a sign-in through the real login form,
// and the median round of several. Loopback only.
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import autocannon from 'autocannon'
import express from 'express'
import pg from 'pg'
import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { startMediaNest, type MediaNest } from '../core/server.ts'
import { hashPassword } from '../core/auth/passwords.ts'

export interface Load { connections: number; seconds: number; warmupSeconds: number; rounds: number }
export interface Target { name: string; url: string; headers?: Record<string, string> }
export interface Result { name: string; requests: number; p50: number; p99: number; errors: number; non2xx: number }

/** BENCH_CONNECTIONS, BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_ROUNDS (1). */
export function loadFromEnv(defaultConnections: number): Load {
  return {
    connections: Number(process.env.BENCH_CONNECTIONS ?? defaultConnections),
    seconds: Number(process.env.BENCH_SECONDS ?? 10),
    warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 2),
    rounds: Number(process.env.BENCH_ROUNDS ?? 1),
  }
}

/**
 * Warm-up, then the measured run. autocannon fires from a worker thread, so the
 * load generator does not share the event loop of the server it measures.
 */
export async function measure(target: Target, load: Load): Promise<Result> {
  const options = { url: target.url, headers: target.headers ?? {}, connections: load.connections, workers: 1 }
  if (load.warmupSeconds > 0) await autocannon({ ...options, duration: load.warmupSeconds })
  const r = await autocannon({ ...options, duration: load.seconds })
  const result = { name: target.name, requests: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx }
  process.stderr.write(`  ${target.name}: ${Math.round(result.requests)} req/s\n`)
  return result
}

export async function bareExpress(): Promise<{ url: string; close(): Promise<void> }> {
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

/** MediaNest on 127.0.0.1, errors-only logging, the authenticated rate limit out of the way. */
export async function benchMediaNest(options: { dataDir: string; databaseUrl?: string; plugins?: Record<string, unknown> }): Promise<MediaNest> {
  const config = loadConfig({
    env: {},
    overrides: {
      port: 0, host: '127.0.0.1', dataDir: options.dataDir, logLevel: 'error', databaseUrl: options.databaseUrl,
      rateLimits: { authenticated: { limit: 1_000_000, window: '1m' } },
      ...(options.plugins ? { plugins: options.plugins } : {}),
    },
    cwd: options.dataDir,
  })
  return startMediaNest({ config, log: createLogger('error') })
}

export interface SignedIn { cookie: string; userId: string }

/** Signs in the way a browser does: GET /login for the CSRF token and mn_anon cookie, then POST /login. */
export async function signIn(app: MediaNest, who: { email?: string; name?: string; role?: 'USER' | 'ADMIN' } = {}): Promise<SignedIn> {
  const email = who.email ?? 'bench@example.com'
  const password = 'a benchmark passphrase'
  const [{ id: userId }] = await app.db.knex('users')
    .insert({ email, name: who.name ?? 'Bench', role: who.role ?? 'USER', password_hash: await hashPassword(password) })
    .returning('id')

  const session = await signInAt(app.url, email, password)

  const shell = await fetch(`${app.url}/`, { headers: { Cookie: session }, redirect: 'manual' })
  if (shell.status !== 200) throw new Error(`GET / with the session answered ${shell.status}, not the dashboard`)
  return { cookie: session, userId }
}

/**
 * The same sign-in as signIn, for a MediaNest in another process (an account already in its
 * database): GET /login for the CSRF token and mn_anon cookie, POST /login. The mn_session cookie.
 */
export async function signInAt(url: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${url}/login`)
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1]
  const anon = page.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('mn_anon='))
  if (!csrf || !anon) throw new Error('GET /login gave no CSRF token or mn_anon cookie')

  const res = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: anon, 'X-CSRF-Token': csrf },
    body: new URLSearchParams({ email, password }).toString(),
  })
  const session = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('mn_session='))
  if (res.status !== 303 || !session) throw new Error(`POST /login answered ${res.status} without a session cookie`)
  return session
}

/** A port free a moment ago on 127.0.0.1, for a server started in another process. */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface BenchDatabase { url: string | undefined; label: string; drop(): Promise<void> }

/**
 * DATABASE_URL (an existing database, kept) or a new `<prefix>_<pid>` on BENCH_POSTGRES
 * (default the local server), dropped by drop().
 */
export async function freshPostgres(prefix: string): Promise<BenchDatabase & { url: string }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, label: 'PostgreSQL (DATABASE_URL)', drop: async () => {} }
  const server = process.env.BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const name = `${prefix}_${process.pid}`
  const onServer = async (sql: string) => {
    const client = new pg.Client({ connectionString: server })
    await client.connect()
    try { await client.query(sql) } finally { await client.end() }
  }
  await onServer(`create database ${name}`)
  const url = new URL(server)
  url.pathname = `/${name}`
  return { url: url.toString(), label: `PostgreSQL (${name}, made for this run)`, drop: () => onServer(`drop database if exists ${name} with (force)`) }
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** One row per target: the median round by requests/s (its latencies come with it). */
export function summarize(rounds: Result[][]): Result[] {
  return rounds[0].map((_, i) => {
    const runs = rounds.map((r) => r[i])
    const middle = median(runs.map((r) => r.requests))
    const chosen = runs.find((r) => r.requests === middle)!
    return { ...chosen, errors: runs.reduce((n, r) => n + r.errors, 0), non2xx: runs.reduce((n, r) => n + r.non2xx, 0) }
  })
}

/** Columns padded to their widest cell: the first left-aligned, the rest right-aligned. */
export function alignColumns(lines: string[][]): string {
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)))
  return lines.map((l) => l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n')
}
