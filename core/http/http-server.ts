// The HTTP server, and closing it so that nothing is served past shutdown. Node's
// server.close() only stops accepting: a kept-alive connection with a request in flight
// gets its answer with `Connection: keep-alive` and then the next request is served too,
// so under load the server kept working until the deadline. Here, once closing begins,
// a request that arrives is refused (503, `Connection: close`), the requests in flight
// are answered with `Connection: close`, idle connections end at once, and whatever is
// left is cut at the deadline.
import http from 'node:http'

export interface HttpServer {
  server: http.Server
  /** Stops serving at once (synchronous, idempotent); close() then waits for the rest. */
  beginClose(): void
  /** Begins closing if not yet, and resolves once every connection has ended; cuts the rest after deadlineMs. */
  close(deadlineMs: number): Promise<void>
}

export function createHttpServer(app: http.RequestListener, options: http.ServerOptions): HttpServer {
  const inFlight = new Set<http.ServerResponse>()
  let closed: Promise<void> | null = null

  const server = http.createServer(options, (req, res) => {
    if (closed) return refuse(res)
    inFlight.add(res)
    // A response whose headers went out before closing began (a live stream, a slow
    // download) could not say `Connection: close`: its connection ends when it does.
    const socket = req.socket
    res.once('finish', () => { if (closed) socket.end() })
    res.once('close', () => inFlight.delete(res))
    app(req, res)
  })

  const beginClose = () => {
    if (closed) return
    closed = new Promise((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close')
  }

  return {
    server,
    beginClose,
    async close(deadlineMs) {
      beginClose()
      const timer = setTimeout(() => server.closeAllConnections(), deadlineMs)
      timer.unref()
      await closed
      clearTimeout(timer)
    },
  }
}

function refuse(res: http.ServerResponse): void {
  res.writeHead(503, {
    Connection: 'close',
    'Retry-After': '5',
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
  })
  res.end('MediaNest is restarting. Try again in a few seconds.\n')
}
