// The one error handler: a thrown error becomes a page or a fragment (or JSON for
// API clients) and is logged with the request's correlation id. What reaches
// error_logs, and how much, is the recorder's decision (error-recorder.ts).
import type { ErrorRequestHandler, Request, RequestHandler } from 'express'
import type { Logger } from 'winston'
import { HttpError, NotFound, ServiceUnavailable, TooManyRequests, UpstreamError, BadInput } from '../plugin-api.ts'
import { wantsFragment, type ViewEngine } from '../views.ts'
import { requestId, requestLog, viewerOf } from './request-context.ts'
import type { ErrorRecorder } from './error-recorder.ts'
import { isDatabaseUnreachable, throttledWarn } from './database-outage.ts'

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
  // Before the database checks: a client's own ECONNRESET while sending a body comes
  // through body-parser with a 4xx status, and is not an outage.
  const fromLibrary = describeLibraryError(error)
  if (fromLibrary) return fromLibrary
  if (isDatabaseUnreachable(error)) {
    return {
      status: 503, code: 'DatabaseUnreachable', expose: true, retryAfterSeconds: 5,
      message: 'The database cannot be reached right now. Please try again in a few seconds; if it lasts, the administrator should check that PostgreSQL is running.',
    }
  }
  // invalid byte sequence / untranslatable character: text PostgreSQL cannot store (a NUL
  // that got past refuseNulCharacters, say) is the sender's doing, not a server error.
  const pgCode = (error as { code?: unknown })?.code
  if (pgCode === '22021' || pgCode === '22P05') {
    return { status: 400, code: 'UnstorableText', expose: true, message: 'What you sent contains characters that cannot be stored (such as a NUL character). Remove them and try again.' }
  }
  return {
    status: 500, code: (error as Error)?.name || 'Error', expose: false,
    message: 'Something went wrong on our side. It has been logged.',
  }
}

/** body-parser's failures, by the `type` it sets (its own messages are for developers). */
const BODY_ERRORS: Record<string, Omit<Described, 'expose'>> = {
  'entity.too.large': { status: 413, code: 'PayloadTooLarge', message: 'What you sent is too large.' },
  'parameters.too.many': { status: 413, code: 'TooManyFields', message: 'The form has too many fields.' },
  'charset.unsupported': { status: 415, code: 'UnsupportedCharset', message: 'The request body uses a character set MediaNest does not read. Send it as UTF-8.' },
  'encoding.unsupported': { status: 415, code: 'UnsupportedEncoding', message: 'The request body is compressed in a way MediaNest does not read. Send it uncompressed, or as gzip, deflate or br.' },
  'entity.parse.failed': { status: 400, code: 'MalformedBody', message: 'The request body could not be read.' },
  'entity.verify.failed': { status: 400, code: 'MalformedBody', message: 'The request body could not be read.' },
  'request.aborted': { status: 400, code: 'RequestAborted', message: 'The request body ended before it was complete.' },
  'request.size.invalid': { status: 400, code: 'MalformedBody', message: 'The request body is not as long as its Content-Length says.' },
  'stream.encoding.set': { status: 400, code: 'MalformedBody', message: 'The request body could not be read.' },
}

const LIBRARY_4XX: Record<number, Omit<Described, 'expose' | 'status'>> = {
  400: { code: 'BadRequest', message: 'The request could not be read.' },
  403: { code: 'Forbidden', message: 'You do not have permission to do that.' },
  404: { code: 'NotFound', message: 'Nothing was found at this address.' },
}

/**
 * Errors from body-parser, send (static files) and the router carry `type` and/or an
 * http-errors `status`: a 4xx among them is the request's fault and gets a 4xx, in our
 * words, never their message (it can name files on disk).
 */
function describeLibraryError(error: unknown): Described | null {
  const e = error as { type?: unknown; status?: unknown; code?: unknown }
  if (!e || typeof e !== 'object') return null
  const known = typeof e.type === 'string' ? BODY_ERRORS[e.type] : undefined
  if (known) return { ...known, expose: true }
  if (typeof e.status !== 'number' || e.status < 400 || e.status > 499) return null
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return { status: 400, code: 'MalformedBody', expose: true, message: 'The request body is compressed, but the compressed data is damaged.' }
  }
  const generic = LIBRARY_4XX[e.status] ?? { code: 'RequestRefused', message: 'The request was refused.' }
  return { status: e.status, ...generic, expose: true }
}

/** Long opaque path segments (reset links, tokens) never reach the log table. */
export function redactPath(path: string): string {
  return path.replace(/[A-Za-z0-9_-]{24,}/g, '[redacted]')
}

export function errorHandler(options: { recorder: ErrorRecorder; views: ViewEngine; log: Logger }): ErrorRequestHandler {
  const outageWarn = throttledWarn(options.log, 30_000)
  return async (error, req, res, next) => {
    if (res.headersSent) return next(error)
    const d = describe(error)
    const id = requestId(req)
    const log = requestLog(req)
    // An outage fails every request the same way: one warn now and then, and no row
    // (the table is in the database that cannot be reached, or cannot take a connection).
    if (d.code === 'DatabaseUnreachable' || d.code === 'DatabaseBusy') {
      outageWarn(`database ${d.code === 'DatabaseBusy' ? 'busy' : 'unreachable'}: ${(error as Error)?.message}`)
    } else {
      if (d.status >= 500) log.error(`${req.method} ${redactPath(req.path)} failed: ${(error as Error)?.message}`, { stack: (error as Error)?.stack })
      else log.info(`${req.method} ${redactPath(req.path)} -> ${d.status} ${d.code}: ${d.message}`)
      await recordError(options.recorder, req, error, d)
    }

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
/** Hands one failed request to the recorder, which decides whether and how it reaches error_logs. */
export function recordError(recorder: ErrorRecorder, req: Request, error: unknown, described = describe(error)): Promise<void> {
  const d = described
  const path = redactPath(req.baseUrl + req.path)
  const message = d.expose ? d.message : (error as Error)?.message || d.message
  return recorder.record({
    status: d.status, code: d.code, method: req.method, path, requestId: requestId(req), message,
    row: () => ({
      correlation_id: requestId(req),
      user_id: viewerOf(req)?.id ?? null,
      error_code: d.code.slice(0, 64),
      error_message: message.slice(0, 2000),
      stack_trace: d.status >= 500 ? (error as Error)?.stack ?? null : null,
      request_path: path.slice(0, 2000),
      request_method: req.method,
      status_code: d.status,
      metadata: JSON.stringify(metadataOf(error, req)),
    }),
  })
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
