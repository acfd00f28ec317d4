// GET /healthz: the process is up. GET /readyz: the database answers and every
// migration ran. Both JSON, no session, no CSRF, cheap enough for a load balancer.
import express, { type Router } from 'express'

export function healthRoutes(ready: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>): Router {
  const router = express.Router()
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) })
  })
  router.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    const { ok, detail } = await ready().catch((error: Error) => ({ ok: false, detail: { error: error.message } }))
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', ...detail })
  })
  return router
}
