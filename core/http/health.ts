// GET /healthz: the process is up. GET /readyz: the database answers and every
// migration ran. Both JSON, no session, no CSRF, cheap enough for a load balancer.
// Anyone can call them, so /readyz says "ready" or "not ready" and nothing else: the
// reason (which can name the database's host and port) goes to the process log.
import express, { type Router } from 'express'
import type { Logger } from 'winston'
import { throttledWarn } from './database-outage.ts'

const REPORT_EVERY_MS = 30_000

export function healthRoutes(ready: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>, log: Logger): Router {
  const router = express.Router()
  // A load balancer asks every few seconds; the log hears about it twice a minute.
  const warn = throttledWarn(log, REPORT_EVERY_MS)
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) })
  })
  router.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    const { ok, detail } = await ready().catch((error: Error) => ({ ok: false, detail: { error: error.message } }))
    if (!ok) warn(`not ready: ${JSON.stringify(detail)}`)
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' })
  })
  return router
}
