// Webhooks: POSTs from other servers (Overseerr, Uptime Kuma, *arr) at
// /<plugin>/hooks/<path>. Mounted before the cookie parser, the session and CSRF
// middlewares and the body parsers, so none of them ever sees a delivery: a cookie on
// the request is ignored and there is never a viewer. Each delivery goes, in order:
// plugin running -> declared path -> POST -> per-IP rate limit -> raw body within its
// cap -> verified (shared secret or HMAC) -> JSON if declared -> dedupe -> handle().
// Every answer is JSON. A refused verification is one log line, never the secret, the
// header or the body, and writes no row (anonymous callers must not grow tables).
import express, { type Request, type RequestHandler, type Response } from 'express'
import { ipKeyGenerator } from 'express-rate-limit'
import type { Knex } from 'knex'
import { durationMs } from '../config.ts'
import { TooManyRequests, type WebhookRequest } from '../plugin-api.ts'
import type { PluginHost } from '../plugins/host.ts'
import { createRateLimit } from '../http/rate-limit.ts'
import { recordError } from '../http/errors.ts'
import type { ErrorRecorder } from '../http/error-recorder.ts'
import { requestId, requestLog } from '../http/request-context.ts'
import { verifyDelivery } from './verify.ts'
import { forgetDelivery, recordDelivery } from './deliveries.ts'
import { holdsNul } from '../http/nul-characters.ts'

export const DEFAULT_MAX_BYTES = 256 * 1024
export const DEFAULT_LIMIT = 120
export const DEFAULT_WINDOW = '1m'
const HOOK_PATH = /^\/([a-z][a-z0-9-]{1,39})\/hooks(?:\/(.*))?$/

type Middleware = RequestHandler
const run = (mw: Middleware, req: Request, res: Response) =>
  new Promise<void>((resolve, reject) => { void mw(req, res, (error?: unknown) => (error ? reject(error) : resolve())) })

export function webhookRoutes(options: { db: Knex; host: PluginHost; recorder: ErrorRecorder }): RequestHandler {
  const { db, host, recorder } = options
  const limits = new Map<string, Middleware>()
  const readers = new Map<number, Middleware>()

  // Made once, when the app is built (express-rate-limit refuses to be made per request).
  for (const def of host.webhooks()) {
    const key = `${def.plugin}:${def.id}`
    limits.set(key, createRateLimit({
      db, endpoint: `webhook:${key}`.slice(0, 100), limit: def.limit ?? DEFAULT_LIMIT, windowMs: durationMs(def.window ?? DEFAULT_WINDOW),
      // Per source address: there is never a viewer here.
      key: (req) => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
    }))
  }
  const readerFor = (maxBytes: number) => {
    let reader = readers.get(maxBytes)
    if (!reader) {
      reader = express.raw({ type: () => true, limit: maxBytes, inflate: false })
      readers.set(maxBytes, reader)
    }
    return reader
  }

  const failed = async (req: Request, res: Response, label: string, error: unknown) => {
    requestLog(req).error(`${label} failed: ${(error as Error)?.message}`, { stack: (error as Error)?.stack })
    await recordError(recorder, req, error)
    res.setHeader('Cache-Control', 'no-store')
    res.status(500).json({ error: 'The webhook failed on our side. It has been logged.', requestId: requestId(req) })
  }

  // One middleware, not a router: every request passes here, and only /<plugin>/hooks/… stops.
  return async (req, res, next) => {
    const match = HOOK_PATH.exec(req.path)
    const plugin = match && host.plugins.find((p) => p.name === match[1])
    if (!match || !plugin) return next()
    const answer = (status: number, body: unknown) => {
      res.setHeader('Cache-Control', 'no-store')
      res.status(status).json(body)
    }
    const path = (match[2] ?? '').replace(/\/$/, '')
    const def = host.webhooks().find((w) => w.plugin === plugin.name && w.path === path)
    if (!def) return answer(404, { error: `There is no webhook at ${req.path}.` })
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST')
      return answer(405, { error: 'Webhooks accept POST only.' })
    }
    const log = requestLog(req)
    const label = `webhook ${plugin.name}/${def.id}`
    try {
      const limit = limits.get(`${plugin.name}:${def.id}`)
      if (limit) await run(limit, req, res)
    } catch (error) {
      if (!(error instanceof TooManyRequests)) return failed(req, res, label, error)
      res.setHeader('Retry-After', String(error.retryAfterSeconds))
      return answer(429, { error: error.message })
    }
    try {
      await run(readerFor(def.maxBytes ?? DEFAULT_MAX_BYTES), req, res)
    } catch (error) {
      const type = (error as { type?: string }).type
      if (type === 'entity.too.large') return answer(413, { error: `The body is larger than ${def.maxBytes ?? DEFAULT_MAX_BYTES} bytes.` })
      if (type === 'encoding.unsupported') return answer(415, { error: 'Send the body without Content-Encoding.' })
      return answer(400, { error: 'The body could not be read.' })
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)

    let refusal: string | null
    try {
      refusal = await verifyDelivery(def.verify, req, body)
    } catch (error) {
      return failed(req, res, label, error)
    }
    if (refusal) {
      log.warn(`${label} refused a delivery from ${req.ip}: ${refusal}`)
      return answer(401, { error: refusal === 'not configured' ? 'This webhook is not configured: set its secret in MediaNest first.' : 'The delivery could not be verified.' })
    }

    let json: unknown
    if (def.json) {
      try {
        json = JSON.parse(body.toString('utf8'))
      } catch {
        return answer(400, { error: 'The body is not valid JSON.' })
      }
      // An escaped NUL ("\u0000") is valid JSON, but no PostgreSQL text column stores it:
      // refused here in words, not a 500 wherever the handler first writes it.
      if (holdsNul(json)) return answer(400, { error: 'The body holds a NUL character (\\u0000), which MediaNest does not accept.' })
    }
    // The handler gets neither the cookie (never read here) nor the proof itself, so it cannot log them.
    const headers = { ...req.headers }
    delete headers.cookie
    delete headers[def.verify.header.toLowerCase()]
    const delivery: WebhookRequest = { body, json, headers, ip: req.ip ?? '', deliveryId: requestId(req) }

    let dedupe: { plugin: string; webhook: string; key: string } | null = null
    try {
      const key = def.dedupe?.(delivery)
      if (typeof key === 'string' && key !== '') {
        dedupe = { plugin: plugin.name, webhook: def.id, key }
        if (!(await recordDelivery(db, dedupe))) {
          log.info(`${label}: a repeated delivery, not handled again`)
          return answer(200, { duplicate: true })
        }
      }
      const result = (await def.handle(delivery)) ?? {}
      const status = Number.isInteger(result.status) && result.status! >= 200 && result.status! <= 599 ? result.status! : 200
      if (status === 204) return res.status(204).end()
      return answer(status, result.body ?? { ok: true })
    } catch (error) {
      if (dedupe) await forgetDelivery(db, dedupe).catch(() => undefined)
      return failed(req, res, label, error)
    }
  }
}
