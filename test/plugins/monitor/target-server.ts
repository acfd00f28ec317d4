// A loopback target for the monitor's checks, told how to behave between checks: up,
// down (connection refused), hanging, slow, a wrong status, a page without the keyword,
// a redirect loop, a 50 MB body, a reset connection. Stops at once, even mid-hang.
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { listenOnFreePort } from '../../support/ports.ts'

export type Mode =
  | { kind: 'up'; body?: string }
  | { kind: 'status'; code: number }
  | { kind: 'hang' }
  | { kind: 'slow'; ms: number }
  | { kind: 'redirect-loop' }
  | { kind: 'huge' }
  | { kind: 'reset' }

export interface TargetServer {
  url: string
  port: number
  hits: number
  set(mode: Mode): void
  /** Connection refused until up() (the same port). */
  down(): Promise<void>
  up(): Promise<void>
  close(): Promise<void>
}

export async function startTargetServer(initial: Mode = { kind: 'up' }): Promise<TargetServer> {
  let mode: Mode = initial
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const server = http.createServer((req, res) => {
    target.hits += 1
    switch (mode.kind) {
      case 'up': return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(mode.body ?? '<html><body>MediaNest target: all good</body></html>')
      case 'status': return void res.writeHead(mode.code, { 'Content-Type': 'text/plain' }).end(`status ${mode.code}`)
      case 'hang': return
      case 'slow': {
        const t = setTimeout(() => { timers.delete(t); res.writeHead(200).end('slow but fine') }, mode.ms)
        timers.add(t)
        return
      }
      case 'redirect-loop': return void res.writeHead(302, { Location: req.url === '/a' ? '/b' : '/a' }).end()
      case 'huge': {
        // 50 MB, streamed: a check must not read it all.
        res.writeHead(200, { 'Content-Type': 'text/plain' })
        const chunk = Buffer.alloc(64 * 1024, 'x')
        let sent = 0
        const pump = () => {
          while (sent < 50 * 1024 * 1024) {
            sent += chunk.length
            if (!res.write(chunk)) return void res.once('drain', pump)
          }
          res.end()
        }
        res.on('error', () => undefined)
        return pump()
      }
      case 'reset': return void req.socket.destroy()
    }
  })
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve((server.address() as AddressInfo).port) })
  })
  const stop = async () => {
    for (const t of timers) clearTimeout(t)
    timers.clear()
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const s of sockets) s.destroy()
    await closed
  }
  // Off the ephemeral range: down() and up() take the same port again (support/ports.ts).
  const port = await listenOnFreePort(listen)
  const target: TargetServer = {
    url: `http://127.0.0.1:${port}`, port, hits: 0,
    set(m) { mode = m },
    down: stop,
    async up() { mode = { kind: 'up' }; if (!server.listening) await listen(port) },
    async close() { if (server.listening) await stop() },
  }
  return target
}
