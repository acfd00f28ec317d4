// Start-up and footprint of the production start command, as a service manager runs it:
// spawn it, time until GET /healthz first answers 200, let it idle, sum the memory (RSS)
// of its whole process tree, send SIGTERM to the PID we spawned and time until every
// process of the tree is gone. Run by hand (`npx tsx bench/startup.ts`), never in CI.
// Knobs: STARTUP_COMMAND ("npm start"), STARTUP_RUNS (3 warm starts after the cold one),
// STARTUP_IDLE_SECONDS (10), DATABASE_URL (PostgreSQL; otherwise PGlite in a fresh
// temporary folder, so the first start is a cold one).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { processTree, treeRssKb, type ProcessInfo } from '../test/support/process-tree.ts'
import { freePort } from './harness.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const COMMAND = (process.env.STARTUP_COMMAND ?? 'npm start').split(' ').filter(Boolean)
const RUNS = Number(process.env.STARTUP_RUNS ?? 3)
const IDLE_SECONDS = Number(process.env.STARTUP_IDLE_SECONDS ?? 10)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Run { healthzMs: number; tree: ProcessInfo[]; rssMb: number; stopMs: number; leftOver: ProcessInfo[]; exit: string }

async function once(dataDir: string, idleSeconds: number): Promise<Run> {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(COMMAND[0], COMMAND.slice(1), {
    cwd: root,
    env: {
      ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir,
      DATABASE_URL: process.env.DATABASE_URL ?? '', MEDIANEST_SECRET: 'startup-bench-secret-of-32-characters!', MEDIANEST_CONFIG: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { out += d })
  let exit = ''
  const exited = new Promise<void>((resolve) => child.on('exit', (code, signal) => { exit = signal ?? `code ${code}`; resolve() }))

  let healthzMs = 0
  while (!healthzMs) {
    if (exit) throw new Error(`the start command exited (${exit}) before /healthz answered:\n${out}`)
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false)
    if (ok) healthzMs = performance.now() - started
    else await sleep(10)
    if (performance.now() - started > 120_000) throw new Error(`no /healthz after 120 s:\n${out}`)
  }
  await sleep(idleSeconds * 1000)
  const tree = processTree(child.pid!)

  const stopping = performance.now()
  process.kill(child.pid!, 'SIGTERM')
  let leftOver = tree
  while (leftOver.length && performance.now() - stopping < 10_000) {
    await sleep(20)
    leftOver = tree.filter((p) => processTree(p.pid).some((q) => q.pid === p.pid))
  }
  const stopMs = performance.now() - stopping
  for (const p of leftOver) process.kill(p.pid, 'SIGKILL')
  // Killed orphans hold the embedded database's lock until they are reaped.
  for (let i = 0; i < 250 && leftOver.some((p) => processTree(p.pid).length); i++) await sleep(20)
  await exited
  return { healthzMs, tree, rssMb: treeRssKb(tree) / 1024, stopMs, leftOver, exit }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const spread = (values: number[], digits = 0) => `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-startup-'))
process.stderr.write(`Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ` +
  `"${COMMAND.join(' ')}" on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}\n`)
try {
  const cold = await once(dataDir, 0)
  process.stderr.write(`  cold start: /healthz after ${cold.healthzMs.toFixed(0)} ms\n`)
  const warm: Run[] = []
  for (let i = 0; i < RUNS; i++) {
    const run = await once(dataDir, IDLE_SECONDS)
    process.stderr.write(`  warm start ${i + 1}: /healthz after ${run.healthzMs.toFixed(0)} ms, tree ${run.rssMb.toFixed(0)} MB, stopped in ${run.stopMs.toFixed(0)} ms (${run.exit})\n`)
    warm.push(run)
  }
  const last = warm.at(-1) ?? cold
  console.log(`\n"${COMMAND.join(' ')}" on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, Node ${process.version}`)
  console.log(`cold start to first /healthz 200: ${cold.healthzMs.toFixed(0)} ms${process.env.DATABASE_URL ? ' (an existing database: only the first migration differs)' : ' (a fresh data folder)'}`)
  if (warm.length) {
    console.log(`warm start to first /healthz 200: ${spread(warm.map((r) => r.healthzMs))} ms, median (min–max) of ${warm.length}`)
    console.log(`process tree RSS after ${IDLE_SECONDS} s idle: ${spread(warm.map((r) => r.rssMb))} MB`)
    console.log(`SIGTERM to the spawned PID until every process is gone: ${spread(warm.map((r) => r.stopMs))} ms`)
  }
  console.log(`\nprocess tree (last run):`)
  for (const p of last.tree) console.log(`  ${String(p.pid).padStart(7)} ${String(Math.round(p.rssKb / 1024)).padStart(4)} MB  ${p.command.slice(0, 110)}`)
  const stragglers = [cold, ...warm].flatMap((r) => r.leftOver)
  if (stragglers.length) console.log(`\nStill running 10 s after SIGTERM (killed): ${stragglers.map((p) => `${p.pid} ${p.command.slice(0, 60)}`).join('; ')}`)
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true })
}
