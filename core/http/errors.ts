// The one error handler: a thrown error becomes a page or a fragment (or JSON for
// API clients), is logged with the request's correlation id, and is written to
// error_logs without secrets.
import type { ErrorRequestHandler, Request, RequestHandler } from 'express'
import type { Knex } from 'knex'
import { HttpError, NotFound, ServiceUnavailable, TooManyRequests, UpstreamError, BadInput } from '../plugin-api.ts'
import { wantsFragment, type ViewEngine } from '../views.ts'
import { requestId, requestLog, viewerOf } from './request-context.ts'

interface Described {
  status: number
  code: string
  message: string
  expose: boolean
  retryAfterSeconds?: number
  fields?: Record<string, string>
}

function describe(error: unknown): Described {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      code: error.name,
      message: error.message,
      expose: error.expose,
      retryAfterSeconds: error instanceof TooManyRequests || error instanceof ServiceUnavailable
        ? error.retryAfterSeconds : undefined,
      fields: error instanceof BadInput ? error.fields : undefined,
    }
  }
  if ((error as Error)?.name === 'KnexTimeoutError') {
    return {
      status: 503, code: 'DatabaseBusy', expose: true, retryAfterSeconds: 5,
      message: 'The database is not answering right now. Please try again in a few seconds.',
    }
  }
  const bodyError = error as { type?: string; status?: number }
  if (bodyError?.type === 'entity.too.large') {
    return { status: 413, code: 'PayloadTooLarge', expose: true, message: 'What you sent is too large.' }
  }
  if (bodyError?.type === 'entity.parse.failed' || bodyError?.type === 'encoding.unsupported') {
    return { status: 400, code: 'MalformedBody', expose: true, message: 'The request body could not be read.' }
  }
  return {
    status: 500, code: (error as Error)?.name || 'Error', expose: false,
    message: 'Something went wrong on our side. It has been logged.',
  }
}

/** Long opaque path segments (reset links, tokens) never reach the log table. */
export function redactPath(path: string): string {
  return path.replace(/[A-Za-z0-9_-]{24,}/g, '[redacted]')
}

const UNLOGGED_STATUSES = new Set([404, 429])

export function errorHandler(options: { db: Knex; views: ViewEngine }): ErrorRequestHandler {
  return async (error, req, res, next) => {
    if (res.headersSent) return next(error)
    const d = describe(error)
    const id = requestId(req)
    const log = requestLog(req)
    if (d.status >= 500) log.error(`${req.method} ${redactPath(req.path)} failed: ${(error as Error)?.message}`, { stack: (error as Error)?.stack })
    else log.info(`${req.method} ${redactPath(req.path)} -> ${d.status} ${d.code}: ${d.message}`)

    if (!UNLOGGED_STATUSES.has(d.status)) await writeErrorLog(options.db, req, error, d)

    if (d.retryAfterSeconds) res.setHeader('Retry-After', String(d.retryAfterSeconds))
    res.setHeader('Cache-Control', 'no-store')
    const message = d.expose ? d.message : 'Something went wrong on our side. It has been logged.'
    if (prefersJson(req)) {
      res.status(d.status).json({ error: { status: d.status, code: d.code, message, requestId: id, fields: d.fields } })
      return
    }
    // An htmx request's error goes to the page's alert region, never into the caller's
    // target (a form that handles its own errors re-renders itself and never gets here).
    const inRegion = wantsFragment(req)
    if (inRegion) res.setHeader('HX-Retarget', '#alerts').setHeader('HX-Reswap', 'innerHTML')
    try {
      await options.views.pageOrFragment(req, res, {
        page: 'error', fragment: '_error', title: titleFor(d.status), status: d.status,
        data: { error: { status: d.status, title: titleFor(d.status), message, requestId: id, fields: d.fields ?? {}, inRegion } },
      })
    } catch (renderError) {
      log.error(`could not render the error page: ${(renderError as Error).message}`)
      res.status(d.status).type('text').send(`${message}\nRequest id: ${id}\n`)
    }
  }
}

/** One error_logs row for a failed request (the webhook router writes its 5xx here too). */
export async function writeErrorLog(db: Knex, req: Request, error: unknown, described = describe(error)): Promise<void> {
  const d = described
  await db('error_logs').insert({
    correlation_id: requestId(req),
    user_id: viewerOf(req)?.id ?? null,
    error_code: d.code.slice(0, 64),
    error_message: (d.expose ? d.message : (error as Error)?.message || d.message).slice(0, 2000),
    stack_trace: d.status >= 500 ? (error as Error)?.stack ?? null : null,
    request_path: redactPath(req.baseUrl + req.path).slice(0, 2000),
    request_method: req.method,
    status_code: d.status,
    metadata: JSON.stringify(metadataOf(error, req)),
  }).catch((dbError: Error) => requestLog(req).warn(`could not write error_logs: ${dbError.message}`))
}

function metadataOf(error: unknown, req: Request): Record<string, unknown> {
  const meta: Record<string, unknown> = { userAgent: req.get('User-Agent')?.slice(0, 200) ?? null }
  if (req.get('HX-Request') === 'true') meta.htmx = true
  if (error instanceof UpstreamError) Object.assign(meta, { service: error.service, upstreamUrl: error.url, why: error.why })
  if (error instanceof BadInput) meta.fields = Object.keys(error.fields)
  return meta
}

function prefersJson(req: Request): boolean {
  return req.get('Authorization')?.startsWith('Bearer ') === true || req.accepts(['html', 'json']) === 'json'
}

function titleFor(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad request', 401: 'Please sign in', 403: 'Not allowed', 404: 'Not found', 409: 'Conflict',
    413: 'Too large', 422: 'Please check the form', 429: 'Slow down', 502: 'A service did not answer',
    503: 'Temporarily unavailable',
  }
  return titles[status] ?? (status >= 500 ? 'Something went wrong' : 'Request refused')
}

export const notFoundFallthrough: RequestHandler = (req) => {
  throw new NotFound(`There is no page at ${req.path}.`)
}
