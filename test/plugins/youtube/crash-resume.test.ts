// youtube: nothing lost. A real MediaNest process (core/server.ts) is SIGKILLed while
// yt-dlp is mid-item (the loopback server holds the clip at a byte offset, so "mid-item"
// is a state, not a timing); started again, it stops the orphaned yt-dlp, resumes the
// .part file (a Range request past 0) and re-queues the job. Then SIGTERM: the process
// exits 0, its yt-dlp process group is gone and the job is queued; a third start
// completes the playlist with every file exactly once, byte for byte.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { freshDatabase, initializedDataDir, onPostgres, type TestDatabase } from '../../support/test-db.ts'
import { holdsClip, startFakeVideoHost, type FakeVideoHost } from '../../support/fake-video-host.ts'
import { TestClient } from '../../support/http-client.ts'
import { waitFor } from '../../support/wait-for.ts'
import { noYtDlpLeft, spyYtDlp, ytDlpProcesses } from './harness.ts'
import { freePort } from '../../support/ports.ts'

const root = fileURLToPath(new URL('../../..', import.meta.url))

interface Server { child: ChildProcess; out: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'core/server.ts'], { cwd: root, env: { ...process.env, ...env } })
  let out = ''
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { out += d })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`MediaNest did not start within 60 s:\n${out}`)), 60_000)
    const check = () => {
      if (out.includes('MediaNest ready')) { clearTimeout(timer); child.stdout!.off('data', check); resolve({ child, out: () => out, exited }) }
    }
    child.stdout!.on('data', check)
    void exited.then(() => { clearTimeout(timer); reject(new Error(`MediaNest exited during start:\n${out}`)) })
  })
}

describe('youtube: nothing lost on a crash or a restart', function () {
  this.timeout(300_000)
  let database: TestDatabase | undefined
  let videos: FakeVideoHost
  let work: string
  let server: Server | null = null

  before(async () => {
    database = onPostgres ? await freshDatabase() : undefined
    videos = await startFakeVideoHost()
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-youtube-crash-'))
  })
  after(async () => {
    if (server && server.child.exitCode === null) { server.child.kill('SIGKILL'); await server.exited }
    for (const pid of ytDlpProcesses(work)) { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } }
    await videos?.close()
    await database?.drop()
    fs.rmSync(work, { recursive: true, force: true })
  })

  it('resumes after SIGKILL and after SIGTERM, and ends with every file exactly once', async () => {
    const libraryPath = path.join(work, 'library')
    const dataDir = path.join(work, 'data')
    fs.mkdirSync(libraryPath)
    fs.mkdirSync(dataDir)
    if (!onPostgres) await initializedDataDir(dataDir)
    const spy = spyYtDlp(work)
    const configFile = path.join(work, 'medianest.config.json')
    fs.writeFileSync(configFile, JSON.stringify({
      shutdownTimeout: '6s',
      plugins: {
        'plex-auth': { enabled: true, config: {} },
        youtube: { enabled: true, config: { ytDlpPath: spy.bin, libraryPath, allowedHosts: ['127.0.0.1'], minFreeMiB: 0 } },
      },
    }))
    const port = await freePort()
    const env = {
      PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: database?.databaseUrl ?? '', LOG_LEVEL: 'info',
      MEDIANEST_SECRET: 'crash-test-secret-of-at-least-32-characters', MEDIANEST_CONFIG: configFile,
    }
    videos.setPlaylist('crash', 'Crash Test', ['k-one', 'k-two'])
    videos.gate('k-one', 14_000)

    // 1. First process: set up the admin, submit, and wait until yt-dlp is mid-item.
    server = await startServer(env)
    const code = /setup code \(valid 24 hours\): (\S+)/.exec(server.out())![1]
    const client = new TestClient(`http://127.0.0.1:${port}`)
    await client.get('/setup')
    const setup = await client.post('/setup', { code, email: 'owner@example.com', name: 'Owner', password: 'a long enough password 1' })
    expect(setup.status, setup.text.slice(0, 400)).to.equal(303)
    await client.get('/youtube')
    const submitted = await client.post('/youtube', { url: videos.playlistUrl('crash') })
    expect(submitted.status, submitted.text.slice(0, 400)).to.equal(303)
    await videos.waitParked('k-one')

    // 2. SIGKILL: no chance to clean up. The orphaned yt-dlp is still holding the connection.
    server.child.kill('SIGKILL')
    await server.exited
    const firstRequests = videos.requests.length
    server = await startServer(env)
    // The lease runs out, the job is queued again, the new run stops the orphan and continues its .part file.
    const resumed = await videos.waitParked('k-one', 0, 120_000)
    expect(resumed.start).to.be.greaterThan(0)
    expect(videos.requests.slice(firstRequests).every((r) => r.path !== '/media/k-one.mp4' || r.start > 0)).to.equal(true)
    expect(ytDlpProcesses(work).length, 'the orphan was stopped: one yt-dlp runs').to.equal(1)
    const page = await client.get('/youtube')
    expect(page.text).to.include('Status: Downloading')

    // 3. SIGTERM: a clean stop; its yt-dlp group ends and the job goes back to the queue.
    server.child.kill('SIGTERM')
    const stopped = await server.exited
    expect(stopped.code, server.out().slice(-2000)).to.equal(0)
    await noYtDlpLeft(work)

    // 4. A third start takes it up again at once and finishes it.
    const beforeThird = videos.requests.length
    server = await startServer(env)
    await videos.waitParked('k-one', 0, 60_000)
    expect(videos.requests.slice(beforeThird).filter((r) => r.path === '/media/k-one.mp4').every((r) => r.start > 0)).to.equal(true)
    videos.open()
    await waitFor('the download to complete', async () => (await client.get('/youtube')).text.includes('Status: Completed'), 90_000)

    const folder = path.join(libraryPath, 'Crash Test')
    const files = fs.readdirSync(folder).filter((f) => f.endsWith('.mp4')).sort()
    expect(files).to.deep.equal(['undated - Crash Test (1) [crash-1].mp4', 'undated - Crash Test (2) [crash-2].mp4'])
    expect(holdsClip(path.join(folder, files[0]), 'k-one')).to.equal(true)
    expect(holdsClip(path.join(folder, files[1]), 'k-two')).to.equal(true)
    const archive = fs.readFileSync(fs.readdirSync(path.join(libraryPath, '.medianest', 'archives')).map((f) => path.join(libraryPath, '.medianest', 'archives', f))[0], 'utf8')
    expect(archive.trim().split('\n')).to.have.length(2)

    server.child.kill('SIGTERM')
    expect((await server.exited).code).to.equal(0)
    server = null
  })
})
