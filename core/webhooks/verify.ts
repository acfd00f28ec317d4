// How a webhook delivery proves who sent it: the configured secret in a header, or an
// HMAC-SHA256 of the raw body (with a signed timestamp against replays). Comparisons
// run in constant time over digests, so neither the content nor the length of the
// secret leaks through timing. A missing secret refuses everything: a webhook is never
// open because an admin has not filled in a field yet.
import crypto from 'node:crypto'
import type { Request } from 'express'
import type { WebhookVerify } from '../plugin-api.ts'
import { clock } from '../clock.ts'

export const DEFAULT_TOLERANCE_SECONDS = 300

/** null when the delivery is genuine; otherwise why not, in words safe to log (no values). */
export type Refusal = string | null

function sameText(a: string | Buffer, b: string | Buffer): boolean {
  const digest = (v: string | Buffer) => crypto.createHash('sha256').update(v).digest()
  return crypto.timingSafeEqual(digest(a), digest(b))
}

function headerOf(req: Request, name: string): string | null {
  const value = req.headers[name.toLowerCase()]
  return typeof value === 'string' ? value : null
}

export async function verifyDelivery(verify: WebhookVerify, req: Request, body: Buffer): Promise<Refusal> {
  const secret = await verify.secret()
  if (typeof secret !== 'string' || secret === '') return 'not configured'
  const raw = headerOf(req, verify.header)
  if (raw === null) return `no ${verify.header} header`
  const prefix = verify.prefix ?? ''
  if (!raw.startsWith(prefix)) return `the ${verify.header} header does not start with the expected prefix`
  const given = raw.slice(prefix.length)

  if (verify.kind === 'shared-secret') return sameText(given, secret) ? null : 'wrong secret'

  let signed: Buffer = body
  if (verify.timestampHeader) {
    const stamp = headerOf(req, verify.timestampHeader)
    if (stamp === null || !/^\d{1,12}$/.test(stamp)) return `no valid ${verify.timestampHeader} header`
    const tolerance = verify.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
    if (Math.abs(clock.now().getTime() / 1000 - Number(stamp)) > tolerance) return 'the timestamp is too old or in the future (a replay?)'
    signed = Buffer.concat([Buffer.from(`${stamp}.`, 'utf8'), body])
  }
  const expected = crypto.createHmac('sha256', secret).update(signed).digest()
  const encoding = verify.encoding ?? 'hex'
  const provided = Buffer.from(encoding === 'hex' ? given.trim().toLowerCase() : given.trim(), encoding)
  return provided.length === expected.length && sameText(provided, expected) ? null : 'wrong signature'
}

/** What a test or a sender computes: the header value for a body (and timestamp). */
export function signBody(secret: string, body: string | Buffer, timestamp?: number): string {
  const payload = timestamp === undefined ? Buffer.from(body) : Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(body)])
  return crypto.createHmac('sha256', secret).update(payload).digest('hex')
}
