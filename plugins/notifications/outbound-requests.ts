// What each kind of channel receives for one notification: the exact request (path,
// headers, body). Kept apart from sending so tests and the README describe one shape.
import crypto from 'node:crypto'
import type { OpenChannel } from './channels.ts'

export interface OutboundMessage {
  id: string
  type: string
  title: string
  message: string
  /** An absolute http(s) address, or a path when no publicUrl is configured. */
  link: string | null
  createdAt: string
  test: boolean
}
export interface OutboundRequest { baseUrl: string; path: string; headers: Record<string, string>; body: Record<string, unknown> }

const SIGNATURE_HEADER = 'X-MediaNest-Signature'
const TIMESTAMP_HEADER = 'X-MediaNest-Timestamp'

function split(url: string): { baseUrl: string; path: string } {
  const u = new URL(url)
  return { baseUrl: u.origin, path: `${u.pathname}${u.search}` }
}

/**
 * Generic webhook: the JSON below, signed. The signature is
 * `sha256=` + hex HMAC-SHA256(secret, `${timestamp}.${body}`), where `timestamp` is the
 * X-MediaNest-Timestamp header (Unix seconds) and `body` the exact bytes sent. The
 * upstream client serialises `body` with JSON.stringify, as we do here, so the bytes match.
 */
export function webhookRequest(channel: OpenChannel, m: OutboundMessage, now: Date): OutboundRequest {
  const body = { id: m.id, type: m.type, title: m.title, message: m.message, link: m.link, createdAt: m.createdAt, test: m.test }
  const timestamp = String(Math.floor(now.getTime() / 1000))
  const headers: Record<string, string> = { [TIMESTAMP_HEADER]: timestamp, 'User-Agent': 'MediaNest-Notifications/1' }
  if (channel.secret) {
    const hmac = crypto.createHmac('sha256', channel.secret).update(`${timestamp}.${JSON.stringify(body)}`).digest('hex')
    headers[SIGNATURE_HEADER] = `sha256=${hmac}`
  }
  return { ...split(channel.url), headers, body }
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

/** Discord: plain text content plus one embed; allowed_mentions empty, so "@everyone" in a title pings nobody. */
export function discordRequest(channel: OpenChannel, m: OutboundMessage): OutboundRequest {
  const embed: Record<string, unknown> = { title: clip(m.title, 256), description: clip(m.message, 4000), timestamp: m.createdAt }
  if (m.link && /^https?:\/\//.test(m.link)) embed.url = m.link
  return {
    ...split(channel.url),
    headers: { 'User-Agent': 'MediaNest-Notifications/1' },
    body: { content: clip(m.title, 2000), embeds: [embed], allowed_mentions: { parse: [] } },
  }
}

/** ntfy: JSON publishing to the server root, the topic taken from the topic URL's last segment. */
export function ntfyRequest(channel: OpenChannel, m: OutboundMessage): OutboundRequest {
  const u = new URL(channel.url)
  const segments = u.pathname.split('/').filter(Boolean)
  const topic = segments.pop() ?? ''
  const body: Record<string, unknown> = { topic, title: clip(m.title, 250), message: clip(m.message, 4000) }
  if (channel.settings.priority) body.priority = channel.settings.priority
  if (channel.settings.tags?.length) body.tags = channel.settings.tags
  if (m.link && /^https?:\/\//.test(m.link)) body.click = m.link
  const headers: Record<string, string> = { 'User-Agent': 'MediaNest-Notifications/1' }
  if (channel.secret) headers.Authorization = `Bearer ${channel.secret}`
  return { baseUrl: u.origin, path: `/${segments.join('/')}`, headers, body }
}

/** `now`: the signature's timestamp. */
export function outboundRequest(channel: OpenChannel, m: OutboundMessage, now: Date): OutboundRequest {
  if (channel.kind === 'discord') return discordRequest(channel, m)
  if (channel.kind === 'ntfy') return ntfyRequest(channel, m)
  return webhookRequest(channel, m, now)
}
