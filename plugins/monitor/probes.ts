// The check kinds a target can have, each one function with the same shape (as Uptime
// Kuma's monitor-types): given the target and a signal that fires at its timeout, say
// whether it answered, how fast, and why not in words. These probe arbitrary addresses
// an admin typed, so they do not go through ctx.upstream: its circuit breaker would
// stop the very checks that should record an outage, and its JSON schema has nothing to
// validate. Each still has a hard timeout, a body cap, and a bounded redirect chain.
import net from 'node:net'
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import { jsonMismatch, type HttpExpectations } from './http-expectations.ts'

/** The certificate an HTTPS target presented (the first hop on its own host). */
export interface CertFacts { expiresAt: string; issuer: string; subject: string }

export interface ProbeResult { ok: boolean; responseTimeMs: number | null; message: string; cert?: CertFacts }

/** A keyword is looked for in at most this much of the body; the rest is never read. */
export const KEYWORD_BODY_CAP = 1024 * 1024

export interface HttpProbe extends HttpExpectations {
  url: string
  /** Certificate authorities trusted besides the system's (a household's own CA). */
  ca?: string[]
}

export const MAX_REDIRECTS = 10

/**
 * node:http rather than fetch: on a timeout the request and its socket are destroyed at
 * once (fetch's pool kept aborted sockets to hanging targets open, a leak that grows
 * with every check), and each redirect is followed by hand up to MAX_REDIRECTS.
 */
export async function probeHttp(target: HttpProbe, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const began = performance.now()
  const elapsed = () => Math.round(performance.now() - began)
  const timeout = AbortSignal.timeout(timeoutMs)
  const all = signal ? AbortSignal.any([signal, timeout]) : timeout
  const { min, max } = target.expect
  const range = min === max ? `${min}` : `${min}-${max}`
  let url = new URL(target.url)
  const host = url.host
  const origin = url.origin
  let method: string = target.method
  let cert: CertFacts | undefined
  const readsBody = Boolean(target.keyword || target.jsonPath)
  try {
    for (let hop = 0; ; hop++) {
      // Credentials are for the address the admin typed: a redirect elsewhere does not get them.
      const sameOrigin = url.origin === origin
      const headers: Record<string, string> = { 'User-Agent': 'MediaNest-monitor', Accept: '*/*', ...(sameOrigin ? target.headers : withoutCredentials(target.headers)) }
      if (target.basicAuth && sameOrigin) headers.Authorization = `Basic ${Buffer.from(`${target.basicAuth.user}:${target.basicAuth.password}`).toString('base64')}`
      const answer = await send(url, method, headers, all, readsBody ? KEYWORD_BODY_CAP : 0, target.ca)
      if (!cert && answer.cert && url.host === host) cert = answer.cert
      const location = answer.status >= 300 && answer.status < 400 ? answer.location : null
      if (location) {
        if (hop >= MAX_REDIRECTS) return { ok: false, responseTimeMs: null, message: `Redirected more than ${MAX_REDIRECTS} times (a redirect loop?).` }
        const next = new URL(location, url)
        if (next.protocol !== 'http:' && next.protocol !== 'https:') return { ok: false, responseTimeMs: null, message: `Redirected to a ${next.protocol} address.` }
        // As browsers do: 307 and 308 repeat the method, the others continue with GET (HEAD stays HEAD).
        if (answer.status !== 307 && answer.status !== 308 && method !== 'HEAD') method = 'GET'
        url = next
        continue
      }
      const answeredMs = elapsed()
      const withCert = (r: ProbeResult): ProbeResult => (cert ? { ...r, cert } : r)
      const fail = (why: string) => withCert({ ok: false, responseTimeMs: answeredMs, message: `Answered HTTP ${answer.status}, but ${why}` })
      if (answer.status < min || answer.status > max) return withCert({ ok: false, responseTimeMs: answeredMs, message: `Answered HTTP ${answer.status}; expected ${range}.` })
      if (target.keyword) {
        const has = answer.body.includes(target.keyword)
        if (target.keywordAbsent && has) return fail(`the page says "${target.keyword}".`)
        if (!target.keywordAbsent && !has) return fail(`the keyword "${target.keyword}" is not in the first ${KEYWORD_BODY_CAP / 1024 / 1024} MiB of the page.`)
      }
      if (target.jsonPath) {
        const why = jsonMismatch(answer.body, answer.truncated, target.jsonPath, target.jsonEquals)
        if (why) return fail(why.charAt(0).toLowerCase() + why.slice(1))
      }
      const checked = [target.keyword && (target.keywordAbsent ? 'without the keyword' : 'with the keyword'), target.jsonPath && `with ${target.jsonPath} as expected`].filter(Boolean)
      return withCert({ ok: true, responseTimeMs: answeredMs, message: `Answered HTTP ${answer.status}${checked.length ? ` ${checked.join(' and ')}` : ''}.` })
    }
  } catch (error) {
    return { ok: false, responseTimeMs: null, message: requestFailure(error, timeoutMs, signal) }
  }
}

const withoutCredentials = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !/^(authorization|cookie|proxy-authorization)$/i.test(name)))

interface Answer { status: number; location: string | null; body: string; truncated: boolean; cert?: CertFacts }

/** One request without a body; reads at most `cap` bytes of the answer, then drops the connection. */
function send(url: URL, method: string, headers: Record<string, string>, signal: AbortSignal, cap: number, ca?: string[]): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const secure = url.protocol === 'https:'
    const client = secure ? https : http
    const req = client.request(url, {
      method, signal, agent: false,
      ...(secure && ca?.length ? { ca: [...tls.rootCertificates, ...ca] } : {}),
      headers: { ...headers, Connection: 'close' },
    }, (res) => {
      const status = res.statusCode ?? 0
      const location = typeof res.headers.location === 'string' ? res.headers.location : null
      const cert = secure ? certOf(res.socket as tls.TLSSocket) : undefined
      if (!cap) {
        resolve({ status, location, body: '', truncated: false, cert })
        req.destroy()
        return
      }
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        chunks.push(c)
        size += c.length
        if (size >= cap) {
          resolve({ status, location, body: Buffer.concat(chunks).subarray(0, cap).toString('utf8'), truncated: size > cap || !res.complete, cert })
          req.destroy()
        }
      })
      res.on('end', () => resolve({ status, location, body: Buffer.concat(chunks).toString('utf8'), truncated: false, cert }))
      res.on('error', reject)
    })
    req.on('error', reject)
    // POST, PUT and PATCH say they send nothing, so no server waits for a body.
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') req.setHeader('Content-Length', '0')
    req.end()
  })
}

/**
 * The certificate an HTTPS address presents, by a TLS handshake alone (a service whose own
 * plugin checks it says nothing of its certificate). Refused certificates come back in words.
 */
export async function readCertificate(url: URL, timeoutMs: number, ca: string[] | undefined, signal?: AbortSignal): Promise<{ cert?: CertFacts; problem?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443), servername: net.isIP(url.hostname) ? undefined : url.hostname,
      ...(ca?.length ? { ca: [...tls.rootCertificates, ...ca] } : {}),
    })
    const finish = (out: { cert?: CertFacts; problem?: string }) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      resolve(out)
    }
    const onAbort = () => finish({})
    const timer = setTimeout(() => finish({}), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('secureConnect', () => {
      // tls.connect does not check the name against the certificate by itself for an IP; checkServerIdentity does.
      const peer = socket.getPeerCertificate()
      const mismatch = tls.checkServerIdentity(url.hostname.replace(/^\[|\]$/g, ''), peer)
      finish(mismatch ? { cert: certOf(socket), problem: `${CERT_WORDS.ERR_TLS_CERT_ALTNAME_INVALID} (${mismatch.message.slice(0, 200)})` } : { cert: certOf(socket) })
    })
    // Only a refused certificate is this reader's news; an unreachable service is its own check's.
    socket.once('error', (error: Error & { code?: string }) => {
      const weak = /digest algorithm too weak|md too weak|key too small/i.test(error.message)
      const words = weak ? (/key/i.test(error.message) ? CERT_WORDS.EE_KEY_TOO_SMALL : CERT_WORDS.CA_MD_TOO_WEAK) : CERT_WORDS[error.code ?? '']
      finish(words ? { problem: words } : {})
    })
  })
}

function certOf(socket: tls.TLSSocket): CertFacts | undefined {
  const c = socket.getPeerCertificate?.()
  if (!c || !c.valid_to) return undefined
  const name = (n: tls.Certificate | undefined) => (n ? String(n.O ?? n.CN ?? '').slice(0, 200) : '')
  return { expiresAt: new Date(c.valid_to).toISOString(), issuer: name(c.issuer) || 'unknown', subject: String(c.subject?.CN ?? '').slice(0, 200) }
}

/** Why node refused a certificate, in words (its codes, OpenSSL's). */
const CERT_WORDS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'Its TLS certificate has expired.',
  CERT_NOT_YET_VALID: 'Its TLS certificate is not valid yet (is the clock right?).',
  ERR_TLS_CERT_ALTNAME_INVALID: 'Its TLS certificate is for another host name.',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'Its TLS certificate is self-signed: no authority this machine trusts vouches for it (add your CA with caFile).',
  SELF_SIGNED_CERT_IN_CHAIN: 'Its TLS certificate chain ends in a self-signed authority this machine does not trust (add it with caFile).',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'Its TLS certificate is not signed by an authority this machine trusts (add your CA with caFile).',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'Its TLS certificate is not signed by an authority this machine trusts (add your CA with caFile).',
  CA_MD_TOO_WEAK: 'Its TLS certificate is signed with a weak algorithm (MD5 or SHA-1).',
  EE_KEY_TOO_SMALL: 'Its TLS certificate has a key too small to be safe.',
}

function requestFailure(error: unknown, timeoutMs: number, signal?: AbortSignal): string {
  const e = error as Error & { code?: string }
  if (signal?.aborted) return 'The check was cancelled.'
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'ABORT_ERR') return `Did not answer within ${seconds(timeoutMs)}.`
  const code = e.code ?? ''
  if (code === 'ECONNREFUSED') return 'Refused the connection: is it running, and is the address right?'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'The host name could not be found.'
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'HPE_INVALID_CONSTANT' || /socket hang up/i.test(e.message)) return 'Closed the connection before answering.'
  if (/digest algorithm too weak|md too weak|key too small/i.test(e.message)) return /key/i.test(e.message) ? CERT_WORDS.EE_KEY_TOO_SMALL : CERT_WORDS.CA_MD_TOO_WEAK
  if (CERT_WORDS[code]) return code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `${CERT_WORDS[code]} (${e.message.slice(0, 200)})` : CERT_WORDS[code]
  if (code.includes('CERT') || code.includes('TLS') || code.includes('KEY') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') {
    return `Its TLS certificate is not valid (${code}).`
  }
  return `The request failed: ${e.message}.`
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
