import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { freshDatabase, initializedDataDir, onPostgres, type TestDatabase } from '../support/test-db.ts'
import { TestClient } from '../support/http-client.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Text that arrives on a stream (process output, a raw socket), and a promise per pattern awaited. */
class Transcript {
  text = ''
  ended = false
  private waiters: Array<() => void> = []

  add(chunk: Buffer | string): void {
    this.text += String(chunk)
    for (const wake of this.waiters.splice(0)) wake()
  }

  end(): void {
    this.ended = true
    for (const wake of this.waiters.splice(0)) wake()
  }

  async waitFor(what: string, pattern: RegExp): Promise<RegExpExecArray> {
    for (;;) {
      const match = pattern.exec(this.text)
      if (match) return match
      if (this.ended) throw new Error(`ended before ${what}:\n${this.text}`)
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }

  async waitForEnd(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.waiters.push(resolve))
  }
}

function rawSocket(url: string): { socket: net.Socket; received: Transcript } {
  const { hostname, port } = new URL(url)
  const socket = net.connect(Number(port), hostname)
  const received = new Transcript()
  socket.on('data', (d) => received.add(d))
  socket.on('close', () => received.end())
  socket.on('error', () => received.end())
  return { socket, received }
}

describe('graceful shutdown under load', function () {
  this.timeout(90_000)
  let database: TestDatabase | undefined
  let dataDir: string
  let child: ChildProcess | undefined
  beforeEach(async () => {
    database = onPostgres ? await freshDatabase() : undefined
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-drain-'))
    if (!onPostgres) await initializedDataDir(dataDir)
  })
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await database?.drop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  /** Starts core/server.ts as production does, with the default shutdownTimeout: the test holds the shipped settings to the 5 s promise. */
  async function boot() {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'core/server.ts'], {
      cwd: root,
      env: {
        ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: database?.databaseUrl ?? '', LOG_LEVEL: 'info',
        MEDIANEST_SECRET: 'drain-test-secret-of-at-least-32-characters', MEDIANEST_CONFIG: '', NODE_ENV: 'development',
      },
    })
    child = proc
    const output = new Transcript()
    proc.stdout.on('data', (d) => output.add(d))
    proc.stderr.on('data', (d) => output.add(d))
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => { output.end(); resolve(code) }))
    const code = (await output.waitFor('the setup code', /setup code \(valid 24 hours\): (\S+)/))[1]
    const url = (await output.waitFor('the server to listen', /MediaNest ready in .* at (http:\/\/\S+)/))[1]
    return { proc, output, exited, url, code }
  }

  /** A kept-alive connection with a request in flight: the server has read its headers (it answered 100 Continue) and waits for the body. */
  async function requestInFlight(url: string, body: string) {
    const busy = rawSocket(url)
    busy.socket.write(`POST /no-such-form HTTP/1.1\r\nHost: ${new URL(url).host}\r\nContent-Type: application/x-www-form-urlencoded\r\n`
      + `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`)
    await busy.received.waitFor('100 Continue', /HTTP\/1\.1 100 Continue\r\n\r\n/)
    return busy
  }

  it('on SIGTERM ends live streams first, closes kept-alive connections, serves nothing new and exits within 5 s', async () => {
    const { proc, output, exited, url, code } = await boot()

    // A signed-in browser (the first admin, through /setup), with its live stream open.
    const browser = new TestClient(url)
    await browser.get('/setup')
    const setup = await browser.post('/setup', { code, email: 'owner@example.com', password: 'drain lantern quartz 4817 harbour' })
    expect(setup.status, setup.text.slice(0, 500)).to.equal(303)
    const live = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${url}/events`, { headers: { Cookie: `mn_session=${browser.cookie('mn_session')}`, Accept: 'text/event-stream' } }, resolve).on('error', reject)
    })
    expect(live.statusCode).to.equal(200)
    const stream = new Transcript()
    live.on('data', (d) => stream.add(d))
    live.on('end', () => stream.end())
    live.on('error', () => stream.end())
    await stream.waitFor('the stream to open', /retry: \d+/)

    // A kept-alive connection that has served a request and now idles.
    const idle = rawSocket(url)
    idle.socket.write(`GET /healthz HTTP/1.1\r\nHost: ${new URL(url).host}\r\n\r\n`)
    await idle.received.waitFor('the first answer', /"status":"ok"/)

    const body = 'message=hello'
    const busy = await requestInFlight(url, body)

    const signalled = Date.now()
    proc.kill('SIGTERM')
    await output.waitFor('the signal to be handled', /SIGTERM received/)
    const streamEnded = stream.waitForEnd().then(() => Date.now() - signalled)
    const idleClosed = idle.received.waitForEnd().then(() => Date.now() - signalled)

    // The in-flight request finishes, with the next one on the same connection right behind it.
    busy.socket.write(`${body}GET /healthz HTTP/1.1\r\nHost: ${new URL(url).host}\r\n\r\n`)
    await busy.received.waitForEnd()
    const answers = busy.received.text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '').split(/(?=HTTP\/1\.1 \d{3} )/)
    expect(answers[0], busy.received.text).to.match(/^HTTP\/1\.1 \d{3} /)
    expect(answers[0], busy.received.text).to.match(/\r\nConnection: close\r\n/i)
    // The request behind it is not served: either nothing more came, or a 503.
    for (const later of answers.slice(1)) expect(later, busy.received.text).to.match(/^HTTP\/1\.1 503 /)

    expect(await streamEnded, 'the live stream ends at once, not at the deadline').to.be.below(2_000)
    expect(idle.received.text.match(/HTTP\/1\.1 /g), 'the idle connection served nothing more').to.have.length(1)
    expect(await idleClosed, 'the idle connection is closed at once').to.be.below(2_000)

    const exitCode = await exited
    const took = Date.now() - signalled
    expect(exitCode, output.text).to.equal(0)
    expect(took, output.text).to.be.below(5_000)
    expect(output.text).to.include('MediaNest stopped')
  })

  it('cuts a request that never finishes when its share of the budget is spent, and still exits within 5 s', async () => {
    const { proc, output, exited, url } = await boot()
    const stuck = await requestInFlight(url, 'the body that never comes')
    const signalled = Date.now()
    proc.kill('SIGTERM')
    await stuck.received.waitForEnd()
    const cut = Date.now() - signalled
    expect(cut, 'cut at the deadline, not before: it was in flight').to.be.within(1_000, 4_000)
    expect(await exited, output.text).to.equal(0)
    expect(Date.now() - signalled, output.text).to.be.below(5_000)
  })
})
