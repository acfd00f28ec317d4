// Every way people stop `npm start` ends in one graceful shutdown, and no yt-dlp outlives
// it: Ctrl-C in a terminal (SIGINT to the whole foreground process group: npm and the
// server get it together, and npm forwards it again), SIGTERM or SIGINT to npm's PID (a
// service manager, `kill`), and SIGTERM to the server's own PID. Each time a download is
// mid-item (the loopback video site holds the clip at a byte offset), so there is a child
// process to stop; the next start resumes it.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { freshDatabase, initializedDataDir, onPostgres, type TestDatabase } from '../../support/test-db.ts'
import { startFakeVideoHost, type FakeVideoHost } from '../../support/fake-video-host.ts'
import { TestClient } from '../../support/http-client.ts'
import { processTree } from '../../support/process-tree.ts'
import { waitFor } from '../../support/wait-for.ts'
import { noYtDlpLeft, spyYtDlp, ytDlpProcesses } from './harness.ts'
import { freePort } from '../../support/ports.ts'

const root = fileURLToPath(new URL('../../..', import.meta.url))

interface Started { npm: ChildProcess; serverPid: number; out: () => string; exited: Promise<number | null> }

/** `npm start` as a terminal runs it: the leader of a process group of its own. */
async function npmStart(env: NodeJS.ProcessEnv): Promise<Started> {
  const { NODE_OPTIONS: _tsx, ...inherited } = process.env
  const npm = spawn('npm', ['start'], { cwd: root, env: { ...inherited, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  npm.stdout!.on('data', (d) => { out += d })
  npm.stderr!.on('data', (d) => { out += d })
  const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)))
  await Promise.race([
    waitFor('MediaNest to be ready', () => /MediaNest ready .*\(pid \d+\)/.test(out), 60_000),
    exited.then(() => { throw new Error(`npm start exited during start:\n${out}`) }),
  ])
  return { npm, serverPid: Number(/MediaNest ready .*\(pid (\d+)\)/.exec(out)![1]), out: () => out, exited }
}

describe('shutdown: every way of stopping npm start is one graceful shutdown that stops yt-dlp first', function () {
  this.timeout(240_000)
  let database: TestDatabase | undefined
  let videos: FakeVideoHost
  let work: string
  let started: Started | null = null
  let env: NodeJS.ProcessEnv
  let libraryPath: string
  let client: TestClient

  before(async () => {
    database = onPostgres ? await freshDatabase() : undefined
    videos = await startFakeVideoHost()
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-signals-'))
    libraryPath = path.join(work, 'library')
    const dataDir = path.join(work, 'data')
    fs.mkdirSync(libraryPath)
    if (!onPostgres) await initializedDataDir(dataDir)
    const spy = spyYtDlp(work)
    const configFile = path.join(work, 'medianest.config.json')
    fs.writeFileSync(configFile, JSON.stringify({
      shutdownTimeout: '8s',
      plugins: {
        'plex-auth': { enabled: true, config: {} },
        youtube: { enabled: true, config: { ytDlpPath: spy.bin, libraryPath, allowedHosts: ['127.0.0.1'], minFreeMiB: 0 } },
      },
    }))
    const port = await freePort()
    env = {
      PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: database?.databaseUrl ?? '', LOG_LEVEL: 'debug',
      MEDIANEST_SECRET: 'signals-test-secret-of-at-least-32-characters', MEDIANEST_CONFIG: configFile,
    }
    videos.setPlaylist('signals', 'Signals', ['s-one'])
    videos.gate('s-one', 14_000)

    // The first start: an admin, and a download that stays mid-item.
    started = await npmStart(env)
    const code = /setup code \(valid 24 hours\): (\S+)/.exec(started.out())![1]
    client = new TestClient(`http://127.0.0.1:${port}`)
    await client.get('/setup')
    const setup = await client.post('/setup', { code, email: 'owner@example.com', name: 'Owner', password: 'a long enough password 1' })
    expect(setup.status, setup.text.slice(0, 400)).to.equal(303)
    await client.get('/youtube')
    const submitted = await client.post('/youtube', { url: videos.playlistUrl('signals') })
    expect(submitted.status, submitted.text.slice(0, 400)).to.equal(303)
  })

  after(async () => {
    if (started && started.npm.exitCode === null) {
      try { process.kill(-started.npm.pid!, 'SIGKILL') } catch { /* gone */ }
      await started.exited
    }
    for (const pid of ytDlpProcesses(libraryPath)) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } }
    await videos?.close()
    await database?.drop()
    fs.rmSync(work, { recursive: true, force: true })
  })

  const cases: Array<[string, (s: Started) => void]> = [
    ['Ctrl-C: SIGINT to the whole process group', (s) => process.kill(-s.npm.pid!, 'SIGINT')],
    ['SIGTERM to npm\'s PID', (s) => process.kill(s.npm.pid!, 'SIGTERM')],
    ['SIGINT to npm\'s PID', (s) => process.kill(s.npm.pid!, 'SIGINT')],
    ['SIGTERM to the server\'s PID', (s) => process.kill(s.serverPid, 'SIGTERM')],
  ]

  for (const [how, send] of cases) {
    it(`${how}: the server stops gracefully, and its yt-dlp before it`, async () => {
      started ??= await npmStart(env)
      const s = started
      await videos.waitParked('s-one', -1, 60_000)
      expect(ytDlpProcesses(libraryPath), 'a download is running').to.have.length(1)
      const tree = processTree(s.npm.pid!)

      send(s)
      await s.exited
      await waitFor('every process of npm start to exit', () => tree.every((p) => processTree(p.pid).length === 0), 10_000)
      const out = s.out()
      expect(out, out.slice(-3000)).to.include('MediaNest stopped')
      expect(out).not.to.include('exiting now')
      await noYtDlpLeft(libraryPath)
      started = null
    })
  }

  it('resumes the download at the next start, and finishes it', async () => {
    started = await npmStart(env)
    videos.open()
    await waitFor('the download to complete', async () => (await client.get('/youtube')).text.includes('Status: Completed'), 90_000)
    process.kill(started.serverPid, 'SIGTERM')
    await started.exited
    started = null
  })
})
