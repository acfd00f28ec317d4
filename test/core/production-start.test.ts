// The production start, as a service manager (systemd, Docker) runs it: `npm start`
// with a fresh data folder, SIGTERM to the PID it holds or to the PID the server
// printed, and every process of the tree gone within 5 s. The tree holds no
// TypeScript compiler: npm, then the server as one node process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { processTree, type ProcessInfo } from '../support/process-tree.ts'
import { freshDatabase, initializedDataDir, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { waitFor } from '../support/wait-for.ts'
import { freePort } from '../support/ports.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/plugins/${name}`, import.meta.url))

interface Started { child: ChildProcess; port: number; output: () => string; serverPid: number; tree: ProcessInfo[] }

/** Spawns the command as a service manager would (no tsx in NODE_OPTIONS) and waits for /healthz. */
async function start(command: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const port = await freePort()
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env
  const child = spawn(command[0], command.slice(1), {
    cwd: root,
    env: { ...inherited, PORT: String(port), HOST: '127.0.0.1', MEDIANEST_SECRET: 'production-start-secret-of-32-characters', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { out += d })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  await Promise.race([
    waitFor('/healthz to answer 200', () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false), 60_000),
    exited.then(() => { throw new Error(`the server exited before it was ready:\n${out}`) }),
  ])
  const serverPid = Number(/MediaNest ready .*\(pid (\d+)\)/.exec(out)?.[1])
  expect(serverPid, out).to.be.greaterThan(0)
  return { child, port, output: () => out, serverPid, tree: processTree(child.pid!) }
}

/** Sends SIGTERM to one PID and returns how long until no process of the tree is left. */
async function terminate(started: Started, pid: number): Promise<number> {
  const began = Date.now()
  process.kill(pid, 'SIGTERM')
  const alive = () => started.tree.filter((p) => processTree(p.pid).length > 0)
  try {
    await waitFor('every process of the tree to exit', () => alive().length === 0, 5_000)
  } catch (error) {
    const left = alive()
    for (const p of left) process.kill(p.pid, 'SIGKILL')
    throw new Error(`${(error as Error).message}; still running: ${left.map((p) => `${p.pid} ${p.command}`).join(', ')}\n${started.output()}`)
  }
  const took = Date.now() - began
  // Every process is gone, but what they wrote last may still be in the pipes (CI once
  // missed 'SIGTERM received'): read them to their end before anyone looks at the output.
  await waitFor('the output read to its end', () => Boolean(started.child.stdout?.readableEnded && started.child.stderr?.readableEnded), 5_000)
  return took
}

const compilerIn = (tree: ProcessInfo[]) => tree.filter((p) => /tsx|esbuild|typescript|tsc/.test(p.command))

describe('production start (npm start, compiled)', function () {
  this.timeout(180_000)
  let database: TestDatabase | undefined
  let dataDir: string

  before(function () {
    // npm install / npm ci build it; this compiles only when a source changed since.
    const built = spawnSync(process.execPath, ['scripts/build.js', '--if-stale'], { cwd: root, encoding: 'utf8' })
    expect(built.status, built.stderr).to.equal(0)
  })
  beforeEach(async () => {
    database = onPostgres ? await freshDatabase() : undefined
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-production-'))
  })
  afterEach(async () => {
    await database?.drop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('is npm and one node process; SIGTERM to the PID npm start holds, then to the PID it printed, stops everything within 5 s', async () => {
    const env = { DATA_DIR: dataDir, DATABASE_URL: database?.databaseUrl ?? '', MEDIANEST_CONFIG: '', LOG_LEVEL: 'info' }

    const first = await start(['npm', 'start'], env)
    expect(compilerIn(first.tree), JSON.stringify(first.tree)).to.deep.equal([])
    const server = first.tree.find((p) => p.pid === first.serverPid)
    // With npm start's memory settings (bench/README.md, the memory section).
    expect(server?.command, JSON.stringify(first.tree)).to.equal('node --max-semi-space-size=2 build/core/server.js')
    expect(fs.readFileSync(`/proc/${first.serverPid}/environ`, 'utf8').split('\0')).to.include('MALLOC_ARENA_MAX=2')
    expect(first.tree.map((p) => p.pid)).to.deep.equal([first.child.pid, first.serverPid])
    expect(await terminate(first, first.child.pid!)).to.be.below(5_000)
    expect(first.output()).to.include('SIGTERM received').and.include('MediaNest stopped')
    if (!onPostgres) expect(fs.existsSync(path.join(dataDir, 'medianest.lock'))).to.equal(false)

    // A warm restart on the same data, stopped through the PID the ready line printed.
    const second = await start(['npm', 'start'], env)
    expect(await terminate(second, second.serverPid)).to.be.below(5_000)
    expect(second.output()).to.include('MediaNest stopped')
  })

  it('keeps loading community plugins written in TypeScript, sharing the compiled plugin API', async () => {
    const configFile = path.join(dataDir, 'medianest.config.json')
    fs.writeFileSync(configFile, JSON.stringify({
      plugins: {
        'community-hello': { enabled: true, source: fixture('community-hello') },
        // An enum: Node cannot strip it, so tsx loads this one even where Node strips types.
        'community-enum': { enabled: true, source: fixture('community-enum') },
      },
    }))
    // The first start's cluster creation is the previous test's subject; here it would only cost time.
    if (!onPostgres) await initializedDataDir(dataDir)
    const started = await start([process.execPath, 'build/core/server.js'], {
      DATA_DIR: dataDir, DATABASE_URL: database?.databaseUrl ?? '', MEDIANEST_CONFIG: configFile,
    })
    try {
      expect(started.output()).to.include('community-hello@0.1.0 started').and.include('community-enum@0.1.0 started')
      const hello = await fetch(`http://127.0.0.1:${started.port}/community-hello`, { redirect: 'manual' })
      expect(hello.status).to.equal(303) // its guard sends a visitor to sign in
      // The plugin's NotFound is the host's NotFound (one plugin-api module): 404, not 500.
      const missing = await fetch(`http://127.0.0.1:${started.port}/community-enum/`)
      expect(missing.status, started.output()).to.equal(404)
      expect(started.output()).to.match(/migrated community-hello: 202611250001_create_visits\.ts/)
    } finally {
      started.tree = processTree(started.child.pid!) // tsx may have started esbuild since
      expect(await terminate(started, started.serverPid)).to.be.below(5_000)
    }
  })
})

describe('compiled migrations keep the names the sources recorded', function () {
  this.timeout(60_000)
  // Both scenarios run in a child process (the fixture says why); this judges what it saw.
  let seen: {
    compiledCoreDir: string
    fromSources: { compiledDone: boolean; compiledApplied: string[]; compiledHelloStatus: unknown }
    fromBuild: { applied: string[]; sourceDone: boolean; compiledDown: string[]; sourcePending: string[]; compiledPending: string[]; compiledDoneAgain: boolean }
  }

  before(() => {
    const built = spawnSync(process.execPath, ['scripts/build.js', '--if-stale'], { cwd: root, encoding: 'utf8' })
    expect(built.status, built.stderr).to.equal(0)
    const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('fixtures/compiled-migrations.ts', import.meta.url))],
      { cwd: root, encoding: 'utf8', env: process.env })
    expect(run.status, run.stderr).to.equal(0)
    seen = JSON.parse(run.stdout.trim().split('\n').pop()!)
  })

  it('a database migrated from the sources is up to date for the build', () => {
    expect(seen.compiledCoreDir).to.equal(path.join(root, 'build/migrations'))
    expect(seen.fromSources.compiledDone).to.equal(true)
    expect(seen.fromSources.compiledApplied).to.deep.equal([])
    expect(seen.fromSources.compiledHelloStatus).to.deep.equal({ owner: 'hello', done: ['202611250001_create_hello_greetings.ts'], pending: [] })
  })

  it('a database migrated by the build is up to date for the sources, and rolls back from either', () => {
    const b = seen.fromBuild
    expect(b.applied).to.include('202611250001_create_users.ts').and.not.include('202611250001_create_users.js')
    expect(b.sourceDone).to.equal(true)
    expect(b.compiledDown).to.deep.equal(['202611250001_create_hello_greetings.ts'])
    expect(b.sourcePending).to.deep.equal(['202611250001_create_hello_greetings.ts'])
    expect(b.compiledPending).to.deep.equal(['202611250001_create_hello_greetings.ts'])
    expect(b.compiledDoneAgain).to.equal(true)
  })
})
