// GET /healthz: the process is up. GET /readyz: the database answers and every
// migration ran. Both JSON, no session, no CSRF, cheap enough for a load balancer.
// Anyone can call them, so /readyz says "ready" or "not ready" and nothing else: the
// reason (which can name the database's host and port) goes to the process log. A
// request that carries a session cookie or a token goes on to readyzDetails, after the
// sign-in layer: an admin (a browser, or monitoring with an API token) gets the details
// and the plugins' warnings; anyone else the same two words.
import type { Request, RequestHandler, Response } from 'express'
import type { Logger } from 'winston'
import { throttledWarn } from './database-outage.ts'

const REPORT_EVERY_MS = 30_000

export type Readiness = () => Promise<{ ok: boolean; detail: Record<string, unknown> }>

export function healthRoutes(ready: Readiness, log: Logger): RequestHandler {
  // A load balancer asks every few seconds; the log hears about it twice a minute.
  const warn = throttledWarn(log, REPORT_EVERY_MS)
  const healthz = (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store')
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) })
  }
  const readyz = async (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store')
    const { ok, detail } = await ready().catch((error: Error) => ({ ok: false, detail: { error: error.message } }))
    if (!ok) warn(`not ready: ${JSON.stringify(detail)}`)
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' })
  }
  // Two exact paths, not a router: every other request passes here on its way in.
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next()
    if (req.path === '/healthz') return healthz(req, res)
    if (req.path === '/readyz') return req.headers.authorization || req.headers.cookie ? next() : readyz(req, res).catch(next)
    next()
  }
}

/** /readyz for a request with credentials: details for an admin, the two words otherwise. */
export function readyzDetails(ready: Readiness, warnings: () => Promise<Array<{ plugin: string; id: string; message: string }>>, isAdmin: (req: Request) => boolean): RequestHandler {
  return (req, res, next) => {
    if (req.path !== '/readyz' || (req.method !== 'GET' && req.method !== 'HEAD')) return next()
    res.setHeader('Cache-Control', 'no-store')
    void (async () => {
      const { ok, detail } = await ready().catch((error: Error) => ({ ok: false, detail: { error: error.message } }))
      const status = ok ? 'ready' : 'not ready'
      if (!isAdmin(req)) return res.status(ok ? 200 : 503).json({ status })
      res.status(ok ? 200 : 503).json({ status, ...detail, warnings: await warnings() })
    })().catch(next)
  }
}
