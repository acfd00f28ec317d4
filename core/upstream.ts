// The one HTTP client pattern for every upstream service: fetch with a timeout on
// every call, a size cap, the answer validated with zod, and failures as
// UpstreamError saying in words which service failed and why. Idempotent GETs are
// retried a little; a service that looks down (no connection, or 5xx on several paths)
// trips a breaker for a short while. A health check opts out of the breaker (breaker:
// false): it must see the service as it is. A call may ask for the body's bytes
// instead (an image), counted against the same cap by the same reader.
import type { Logger } from 'winston'
import type { z } from 'zod'
import { readCapped } from './http/capped-body.ts'
import { UpstreamError, type UpstreamBytesRequest, type UpstreamClient, type UpstreamOptions, type UpstreamRequest, type UpstreamResponse } from './plugin-api.ts'

type AnyRequest = UpstreamRequest<unknown> | UpstreamBytesRequest

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_MAX_BYTES = 5 * 1024 * 1024
const GET_RETRIES = 2
// The breaker is for a service that is down, not for one resource that is broken:
// it counts transport failures (refused, reset, timed out, unknown host) and 5xx
// answers, but 5xx only once they come from several different paths. One title that
// makes Overseerr answer 500 must not stop every other call to Overseerr.
const BREAKER_THRESHOLD = 5
const BREAKER_DISTINCT_PATHS = 3
const BREAKER_WINDOW_MS = 60_000
const BREAKER_OPEN_MS = 30_000

interface Failure { at: number; path: string; transport: boolean }
interface Breaker { failures: Failure[]; openUntil: number; why: string }
const breakers = new Map<string, Breaker>()

/** Only for tests: forget every breaker's state. */
export function resetBreakers(): void {
  breakers.clear()
}

/** Records one failed call; opens the breaker when the service as a whole looks down. */
function recordFailure(key: string, failure: Failure): void {
  const b = breakers.get(key) ?? { failures: [], openUntil: 0, why: '' }
  b.failures = b.failures.filter((f) => f.at > failure.at - BREAKER_WINDOW_MS).slice(-(4 * BREAKER_THRESHOLD))
  b.failures.push(failure)
  const transport = b.failures.filter((f) => f.transport).length
  const serverErrors = b.failures.filter((f) => !f.transport)
  const paths = new Set(serverErrors.map((f) => f.path)).size
  const counted = transport + (paths >= BREAKER_DISTINCT_PATHS ? serverErrors.length : 0)
  if (counted >= BREAKER_THRESHOLD) {
    b.openUntil = failure.at + BREAKER_OPEN_MS
    b.why = paths >= BREAKER_DISTINCT_PATHS
      ? `failed ${counted} times in the last minute, on ${paths} different requests`
      : `could not be reached ${transport} times in the last minute`
  }
  breakers.set(key, b)
}

/** An answer proves the service is up: forget transport failures and this path's 5xx. */
function recordSuccess(key: string, path: string): void {
  const b = breakers.get(key)
  if (!b) return
  b.failures = b.failures.filter((f) => !f.transport && f.path !== path)
  if (!b.failures.length) breakers.delete(key)
}

export function createUpstreamClient(options: UpstreamOptions, log: Logger): UpstreamClient {
  const base = options.baseUrl.replace(/\/+$/, '')
  const breakerKey = `${options.service} ${base}`
  const usesBreaker = options.breaker !== false
  const retries = Math.max(0, Math.min(GET_RETRIES, Math.floor(options.retries ?? GET_RETRIES)))

  async function request(req: AnyRequest): Promise<UpstreamResponse<unknown>> {
    const method = req.method ?? 'GET'
    const url = buildUrl(base, req.path, req.query)
    const shown = (options.redact ?? []).filter((v) => v.length >= 4)
      .reduce((text, secret) => text.split(secret).join('[redacted]'), redactUrl(url))
    const breaker = usesBreaker ? breakers.get(breakerKey) : undefined
    if (breaker && breaker.openUntil > performance.now()) {
      throw new UpstreamError(options.service, shown,
        `${breaker.why}; not trying again for ${Math.ceil((breaker.openUntil - performance.now()) / 1000)} s`)
    }
    const path = req.path.split('?')[0]
    const attempts = method === 'GET' ? 1 + retries : 1
    let lastError: UpstreamError | undefined
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const result = await once(method, url, shown, req)
        if (usesBreaker) recordSuccess(breakerKey, path)
        return result
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error
        lastError = error
        // Only failures that another try could fix: no answer, or a 5xx/429.
        const retryable = error.upstreamStatus === undefined || error.upstreamStatus >= 500 || error.upstreamStatus === 429
        if (!retryable || req.signal?.aborted || attempt === attempts) break
        await new Promise((r) => setTimeout(r, 200 * attempt))
      }
    }
    const status = lastError!.upstreamStatus
    // A call the caller cancelled says nothing about the service.
    if (usesBreaker && !req.signal?.aborted && (status === undefined || status >= 500)) {
      recordFailure(breakerKey, { at: performance.now(), path, transport: status === undefined })
    }
    log.warn(`${options.service} ${method} ${shown} failed: ${lastError!.why}`)
    throw lastError!
  }

  async function once(method: string, url: string, shown: string, req: AnyRequest): Promise<UpstreamResponse<unknown>> {
    const timeoutMs = req.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const signals = [AbortSignal.timeout(timeoutMs), ...(req.signal ? [req.signal] : [])]
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers, ...req.headers }
    let body: string | undefined
    if (req.body !== undefined) {
      body = JSON.stringify(req.body)
      headers['Content-Type'] ??= 'application/json'
    }
    let response: Response
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.any(signals), redirect: 'manual' })
    } catch (error) {
      throw new UpstreamError(options.service, shown, describeFetchFailure(error, timeoutMs, req.signal), { cause: error })
    }
    // A body broken off mid-way may come whole next time (no status: retried); one too large will not.
    const bytes = await readCapped(response, req.maxBytes ?? options.maxBytes ?? DEFAULT_MAX_BYTES, (why, brokenOff) =>
      new UpstreamError(options.service, shown, why, brokenOff ? {} : { upstreamStatus: response.status }))
    const ok = response.ok || (req.accept ?? []).includes(response.status)
    if (!ok) {
      throw new UpstreamError(options.service, shown, describeStatus(response.status, bytes.toString('utf8')), { upstreamStatus: response.status })
    }
    if (req.responseType === 'bytes') return { status: response.status, data: bytes, headers: response.headers }
    const text = bytes.toString('utf8')
    let data: unknown = text
    const type = response.headers.get('content-type') ?? ''
    if (text.length && (type.includes('json') || /^\s*[[{]/.test(text))) {
      try {
        data = JSON.parse(text)
      } catch {
        throw new UpstreamError(options.service, shown, 'answered with something that is not valid JSON', { upstreamStatus: response.status })
      }
    } else if (!text.length) {
      data = null
    }
    if (req.schema) {
      const parsed = (req.schema as z.ZodType).safeParse(data)
      if (!parsed.success) {
        const first = parsed.error.issues[0]
        const where = first?.path.length ? ` at ${first.path.join('.')}` : ''
        throw new UpstreamError(options.service, shown,
          `answered in a shape MediaNest does not understand (${first?.message ?? 'invalid'}${where})`, { upstreamStatus: response.status })
      }
      data = parsed.data
    }
    return { status: response.status, data, headers: response.headers }
  }

  return {
    request: request as UpstreamClient['request'],
    async get<T>(path: string, schema?: z.ZodType<T>, rest: Omit<UpstreamRequest<T>, 'path' | 'schema'> = {}) {
      return (await request({ ...rest, path, schema } as UpstreamRequest<unknown>)).data as T
    },
  }
}

function buildUrl(base: string, path: string, query: UpstreamRequest<unknown>['query']): string {
  const url = `${base}${path.startsWith('/') ? '' : '/'}${path}`
  if (!query) return url
  const params = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeRfc3986(String(v))}`)
  return params.length ? `${url}${url.includes('?') ? '&' : '?'}${params.join('&')}` : url
}

/** encodeURIComponent leaves ( ) ! * ' raw; some APIs (Overseerr) refuse them. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** Tokens in query strings never reach logs or error pages. */
export function redactUrl(url: string): string {
  return url.replace(/([?&][^=&]*(token|key|secret|password|auth)[^=&]*=)[^&]*/gi, '$1[redacted]')
}

function describeFetchFailure(error: unknown, timeoutMs: number, callerSignal?: AbortSignal): string {
  const e = error as Error & { cause?: { code?: string; message?: string } }
  if (callerSignal?.aborted) return 'the request was cancelled'
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `did not answer within ${Math.round(timeoutMs / 100) / 10} s`
  const code = e.cause?.code
  if (code === 'ECONNREFUSED') return 'refused the connection (is it running, and is the address right?)'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name could not be found'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'closed the connection before answering'
  if (code?.startsWith('CERT_') || code?.includes('TLS') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return `its TLS certificate was not accepted (${code})`
  }
  return `could not be reached (${e.cause?.message ?? e.message})`
}

function describeStatus(status: number, body: string): string {
  let detail = ''
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown }
    const m = parsed.message ?? parsed.error
    if (typeof m === 'string') detail = `: ${m.slice(0, 200)}`
  } catch { /* not JSON: no detail */ }
  if (status === 401 || status === 403) return `refused the credentials (HTTP ${status})${detail}`
  if (status === 404) return `has no such resource (HTTP 404)${detail}`
  if (status === 429) return `is rate-limiting us (HTTP 429)${detail}`
  if (status >= 300 && status < 400) return `answered with a redirect (HTTP ${status}); check the URL`
  if (status >= 500) return `failed on its side (HTTP ${status})${detail}`
  return `refused the request (HTTP ${status})${detail}`
}
