import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { freshDatabase, initializedDataDir, onPostgres, type TestDatabase } from '../support/test-db.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

function run(args: string[], env: NodeJS.ProcessEnv, onOutput?: (text: string, child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; ms: number }>((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env: { ...process.env, ...env } })
    let out = ''
    const take = (d: Buffer) => { out += d; onOutput?.(out, child) }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    const killer = setTimeout(() => child.kill('SIGKILL'), 45_000)
    child.on('exit', (code, signal) => { clearTimeout(killer); resolve({ code, signal, out, ms: Date.now() - started }) })
  })
}

describe('graceful shutdown', function () {
  this.timeout(90_000)
  let database: TestDatabase | undefined
  beforeEach(async () => { database = onPostgres ? await freshDatabase() : undefined })
  afterEach(async () => { await database?.drop() })

  it('leaves no open handles: the process exits on its own after stop()', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-shutdown-'))
    if (!onPostgres) await initializedDataDir(dataDir)
    try {
      const result = await run([fileURLToPath(new URL('./fixtures/start-and-stop.ts', import.meta.url))], { DATABASE_URL: database?.databaseUrl ?? '', DATA_DIR: dataDir })
      expect(result.signal, result.out).to.equal(null)
      expect(result.code, result.out).to.equal(0)
      expect(result.out).to.include('stopped 200')
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('exits 0 on SIGTERM, after finishing in-flight work', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-sigterm-'))
    if (!onPostgres) await initializedDataDir(dataDir)
    try {
      let sent = false
      const result = await run(['core/server.ts'], {
        PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: database?.databaseUrl ?? '', LOG_LEVEL: 'info',
        MEDIANEST_SECRET: 'sigterm-test-secret-of-32-characters!!', MEDIANEST_CONFIG: '',
      }, (out, child) => {
        if (!sent && out.includes('MediaNest ready')) { sent = true; child.kill('SIGTERM') }
      })
      expect(result.code, result.out).to.equal(0)
      expect(result.out).to.include('SIGTERM received').and.include('MediaNest stopped')
      // The embedded database's lock file is released.
      expect(fs.existsSync(path.join(dataDir, 'medianest.lock'))).to.equal(false)
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('refuses a second process on the same embedded data folder, pointing to DATABASE_URL', async function () {
    if (onPostgres) this.skip()
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-lock-'))
    fs.writeFileSync(path.join(dataDir, 'medianest.lock'), String(process.pid))
    try {
      const result = await run(['core/server.ts'], { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: '', MEDIANEST_CONFIG: '' })
      expect(result.code).to.equal(1)
      expect(result.out).to.include(`Another MediaNest process (pid ${process.pid}) is using the embedded database`).and.include('DATABASE_URL')
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
