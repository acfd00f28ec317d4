// The production start, as a service manager (systemd, Docker) runs it: `npm start`
// with a fresh data folder, SIGTERM to the PID it holds or to the PID the server
// printed, and every process of the tree gone within 5 s. The tree holds no
// TypeScript compiler: npm, then the server as one node process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { expect } from 'chai'
import { openDatabase, type Database } from '../../core/db.ts'
import { createLogger } from '../../core/log.ts'
import * as sourceMigrations from '../../core/migrations.ts'
import { processTree, type ProcessInfo } from '../support/process-tree.ts'
import { freshDatabase, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { waitFor } from '../support/wait-for.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/plugins/${name}`, import.meta.url))

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

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
  return Date.now() - began
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
    expect(server?.command, JSON.stringify(first.tree)).to.match(/node build\/core\/server\.js$/)
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
  const log = createLogger('error')
  let test: TestDatabase
  let db: Database
  let compiled: typeof sourceMigrations

  before(async () => {
    const built = spawnSync(process.execPath, ['scripts/build.js', '--if-stale'], { cwd: root, encoding: 'utf8' })
    expect(built.status, built.stderr).to.equal(0)
    compiled = await import(pathToFileURL(path.join(root, 'build/core/migrations.js')).href) as typeof sourceMigrations
  })
  beforeEach(async () => {
    test = await freshDatabase()
    db = await openDatabase({ databaseUrl: test.databaseUrl, pglite: test.pglite, dataDir: '/nonexistent', log })
  })
  afterEach(async () => {
    await db.close()
    await test.drop()
  })

  const sourceSets = () => [
    { owner: 'core', dir: sourceMigrations.CORE_MIGRATIONS_DIR },
    { owner: 'hello', dir: path.join(root, 'plugins/hello/migrations') },
  ]
  const compiledSets = () => [
    { owner: 'core', dir: compiled.CORE_MIGRATIONS_DIR },
    { owner: 'hello', dir: path.join(root, 'build/plugins/hello/migrations') },
  ]

  it('a database migrated from the sources is up to date for the build', async () => {
    expect(compiled.CORE_MIGRATIONS_DIR).to.equal(path.join(root, 'build/migrations'))
    await sourceMigrations.migrateLatest(db, sourceSets())
    expect(await compiled.migrationsDone(db, compiledSets())).to.equal(true)
    expect((await compiled.migrateLatest(db, compiledSets())).flatMap((r) => r.applied)).to.deep.equal([])
    const status = await compiled.migrationStatus(db, compiledSets()[1])
    expect(status).to.deep.equal({ owner: 'hello', done: ['202611250001_create_hello_greetings.ts'], pending: [] })
  })

  it('a database migrated by the build is up to date for the sources, and rolls back from either', async () => {
    const applied = (await compiled.migrateLatest(db, compiledSets())).flatMap((r) => r.applied)
    expect(applied).to.include('202611250001_create_users.ts').and.not.include('202611250001_create_users.js')
    expect(await sourceMigrations.migrationsDone(db, sourceSets())).to.equal(true)
    expect(await compiled.migrateDown(db, compiledSets()[1])).to.deep.equal(['202611250001_create_hello_greetings.ts'])
    expect((await sourceMigrations.migrationStatus(db, sourceSets()[1])).pending).to.deep.equal(['202611250001_create_hello_greetings.ts'])
    expect((await compiled.migrationStatus(db, compiledSets()[1])).pending).to.deep.equal(['202611250001_create_hello_greetings.ts'])
    await sourceMigrations.migrateLatest(db, sourceSets())
    expect(await compiled.migrationsDone(db, compiledSets())).to.equal(true)
  })
})
