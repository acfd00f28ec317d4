// The check kinds a target can have, each one function with the same shape (as Uptime
// Kuma's monitor-types): given the target and a signal that fires at its timeout, say
// whether it answered, how fast, and why not in words. These probe arbitrary addresses
// an admin typed, so they do not go through ctx.upstream: its circuit breaker would
// stop the very checks that should record an outage, and its JSON schema has nothing to
// validate. Each still has a hard timeout, a body cap, and a bounded redirect chain.
import net from 'node:net'

export interface ProbeResult { ok: boolean; responseTimeMs: number | null; message: string }

/** A keyword is looked for in at most this much of the body; the rest is never read. */
export const KEYWORD_BODY_CAP = 1024 * 1024

export interface HttpProbe { url: string; expect: { min: number; max: number }; keyword?: string | null }

export async function probeHttp(target: HttpProbe, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const began = performance.now()
  const elapsed = () => Math.round(performance.now() - began)
  const timeout = AbortSignal.timeout(timeoutMs)
  const all = signal ? AbortSignal.any([signal, timeout]) : timeout
  let response: Response
  try {
    response = await fetch(target.url, {
      redirect: 'follow', signal: all,
      headers: { 'User-Agent': 'MediaNest-monitor', Accept: '*/*' },
    })
  } catch (error) {
    return { ok: false, responseTimeMs: null, message: fetchFailure(error, timeoutMs, signal) }
  }
  const answeredMs = elapsed()
  const { min, max } = target.expect
  const range = min === max ? `${min}` : `${min}-${max}`
  if (response.status < min || response.status > max) {
    await response.body?.cancel().catch(() => undefined)
    return { ok: false, responseTimeMs: answeredMs, message: `Answered HTTP ${response.status}; expected ${range}.` }
  }
  if (!target.keyword) {
    await response.body?.cancel().catch(() => undefined)
    return { ok: true, responseTimeMs: answeredMs, message: `Answered HTTP ${response.status}.` }
  }
  try {
    const body = await readCapped(response, KEYWORD_BODY_CAP)
    if (!body.includes(target.keyword)) {
      return { ok: false, responseTimeMs: answeredMs, message: `Answered HTTP ${response.status}, but the keyword "${target.keyword}" is not in the first ${KEYWORD_BODY_CAP / 1024 / 1024} MiB of the page.` }
    }
    return { ok: true, responseTimeMs: answeredMs, message: `Answered HTTP ${response.status} with the keyword.` }
  } catch (error) {
    return { ok: false, responseTimeMs: answeredMs, message: fetchFailure(error, timeoutMs, signal) }
  }
}

async function readCapped(response: Response, cap: number): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < cap) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.byteLength
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
  return Buffer.concat(chunks).subarray(0, cap).toString('utf8')
}

function fetchFailure(error: unknown, timeoutMs: number, signal?: AbortSignal): string {
  const e = error as Error & { cause?: { code?: string; message?: string } }
  if (signal?.aborted) return 'The check was cancelled.'
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `Did not answer within ${seconds(timeoutMs)}.`
  const code = e.cause?.code ?? ''
  const why = e.cause?.message ?? e.message
  if (code === 'ECONNREFUSED') return 'Refused the connection: is it running, and is the address right?'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'The host name could not be found.'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'Closed the connection before answering.'
  if (code.startsWith('CERT_') || code.includes('CERT') || code.includes('TLS') || code.startsWith('ERR_TLS') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') {
    return `Its TLS certificate is not valid (${code}).`
  }
  if (/redirect count exceeded/i.test(why)) return 'Redirected too many times (a redirect loop?).'
  return `The request failed: ${why}.`
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`

export async function probeTcp(hostPort: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const split = hostPort.lastIndexOf(':')
  const host = hostPort.slice(0, split).replace(/^\[|\]$/g, '')
  const port = Number(hostPort.slice(split + 1))
  const began = performance.now()
  return new Promise<ProbeResult>((resolve) => {
    const socket = net.connect({ host, port })
    let settled = false
    const finish = (result: ProbeResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      resolve(result)
    }
    const onAbort = () => finish({ ok: false, responseTimeMs: null, message: 'The check was cancelled.' })
    const timer = setTimeout(() => finish({ ok: false, responseTimeMs: null, message: `Did not accept a TCP connection within ${seconds(timeoutMs)}.` }), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('connect', () => finish({ ok: true, responseTimeMs: Math.round(performance.now() - began), message: `Accepted a TCP connection on port ${port}.` }))
    socket.once('error', (error: Error & { code?: string }) => finish({
      ok: false, responseTimeMs: null,
      message: error.code === 'ECONNREFUSED' ? `Refused the TCP connection on port ${port}.` : `The TCP connection failed: ${error.code ?? error.message}.`,
    }))
  })
}
