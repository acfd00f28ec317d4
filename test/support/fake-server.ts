// A loopback HTTP server for a fake upstream: it records every request, can be told to
// fail the ways real services fail (down, slow, an error status, garbage), and always
// closes, even while requests hang. The Plex fakes (fake-plex-tv.ts,
// fake-pms.ts) give it a pure handler; the Overseerr and Uptime Kuma fakes, which must
// leave a request hanging and answer errors in their upstream's own shape, run a server
// of their own on the helpers at the end (one request record, one listen, one stop).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { listenOnFreePort } from './ports.ts'

/** One request as it arrived, for assertions like "the token travelled only in a header". */
export interface RecordedRequest {
  method: string
  /** The path without the query string. */
  path: string
  query: Record<string, string>
  /** Path and query exactly as sent on the request line. */
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

export interface FakeResponse {
  status: number
  headers?: Record<string, string>
  body?: string | Buffer
}

export type FakeHandler = (req: RecordedRequest) => FakeResponse

/** Failures that apply to every request, or only to requests for one path. */
export interface FailureControl {
  /** Connection refused: the listener closes and open connections are cut. */
  down(): Promise<void>
  /** Hang without answering (past any client timeout), or answer after `delayMs`. */
  slow(delayMs?: number, onlyPath?: string): void
  /** Answer every request with this status and a short text body. */
  status(code: number, onlyPath?: string): void
  /** Answer 200 with a body that is not JSON (an HTML page, as a proxy would send). */
  garbage(onlyPath?: string): void
  /** Back to normal: listening again (same port) and answering. */
  recover(): Promise<void>
}

export interface FakeServer extends FailureControl {
  url: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

type Failure =
  | { kind: 'slow'; delayMs: number; onlyPath?: string }
  | { kind: 'status'; code: number; onlyPath?: string }
  | { kind: 'garbage'; onlyPath?: string }

const GARBAGE = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>'

export async function startFakeServer(handle: FakeHandler): Promise<FakeServer> {
  const requests: RecordedRequest[] = []
  const timers = new Set<NodeJS.Timeout>()
  let failure: Failure | null = null
  let listening = false
  let closed = false

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = req.url ?? '/'
      const parsed = new URL(url, 'http://fake.invalid')
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: parsed.pathname,
        query: Object.fromEntries(parsed.searchParams),
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(recorded)
      const send = (answer: FakeResponse) => {
        if (res.destroyed) return
        res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '')
      }
      const active = failure && (!failure.onlyPath || failure.onlyPath === recorded.path) ? failure : null
      if (active?.kind === 'slow') {
        if (!Number.isFinite(active.delayMs)) return // hang until the client gives up or close()
        const timer = setTimeout(() => { timers.delete(timer); send(answerSafely(handle, recorded)) }, active.delayMs)
        timers.add(timer)
        return
      }
      if (active?.kind === 'status') return send({ status: active.code, headers: { 'Content-Type': 'text/plain' }, body: `${active.code} ${http.STATUS_CODES[active.code] ?? ''}`.trim() })
      if (active?.kind === 'garbage') return send({ status: 200, headers: { 'Content-Type': 'application/json' }, body: GARBAGE })
      send(answerSafely(handle, recorded))
    })
  })

  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); listening = true; resolve() })
  })
  const stopListening = () => new Promise<void>((resolve) => {
    for (const timer of timers) clearTimeout(timer)
    timers.clear()
    if (!listening) return resolve()
    listening = false
    server.close(() => resolve())
    // Hanging (slow) requests and idle keep-alive sockets would hold close() open forever.
    server.closeAllConnections()
  })

  // Off the ephemeral range: down() and up() take the same port again (support/ports.ts).
  await listenOnFreePort(listen)
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    down: stopListening,
    slow(delayMs = Infinity, onlyPath) { failure = { kind: 'slow', delayMs, onlyPath } },
    status(code, onlyPath) { failure = { kind: 'status', code, onlyPath } },
    garbage(onlyPath) { failure = { kind: 'garbage', onlyPath } },
    async recover() {
      failure = null
      if (!listening && !closed) await listen(port)
    },
    async close() {
      closed = true
      await stopListening()
    },
  }
}

/** A bug in a fake's handler becomes a 500 that names it, not a hung test. */
function answerSafely(handle: FakeHandler, req: RecordedRequest): FakeResponse {
  try {
    return handle(req)
  } catch (error) {
    return { status: 500, headers: { 'Content-Type': 'text/plain' }, body: `fake server bug: ${(error as Error).stack}` }
  }
}

/** Listens on 127.0.0.1 (a free port unless one is given); for fakes with a server of their own. */
export function listenOnLoopback(server: http.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/** Stops such a server at once: its delayed answers are dropped and hanging requests cut. */
export function stopAtOnce(server: http.Server, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    for (const timer of timers) clearTimeout(timer)
    timers.clear()
    if (!server.listening) return resolve()
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
