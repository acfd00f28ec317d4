// What each kind of channel receives for one notification: the exact request (path,
// headers, body), and what its answer means. Kept apart from sending so tests and the
// README describe one shape. Each shape is the service's documented API: Discord's
// webhooks, ntfy's JSON publishing, Telegram's Bot API sendMessage, Gotify's
// POST /message, Pushover's messages API.
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

const base = (url: string) => url.replace(/\/+$/, '')
const clickable = (link: string | null) => (link && /^https?:\/\//.test(link) ? link : null)

/**
 * Telegram: the bot's sendMessage, as plain text (no parse_mode, so nothing in a title
 * becomes markup), link previews off. The token is a path segment, so the whole path is
 * redacted wherever the client reports the address.
 */
export function telegramRequest(channel: OpenChannel, m: OutboundMessage): OutboundRequest {
  const link = clickable(m.link)
  const text = clip([m.title, m.message, link].filter(Boolean).join('\n\n'), 4096)
  const u = new URL(base(channel.url))
  return {
    baseUrl: u.origin,
    path: `${u.pathname.replace(/\/$/, '')}/bot${channel.secret ?? ''}/sendMessage`,
    headers: { 'User-Agent': 'MediaNest-Notifications/1' },
    body: { chat_id: channel.settings.recipient, text, link_preview_options: { is_disabled: true } },
  }
}

/** Gotify: POST /message under the server's address, the application token in X-Gotify-Key (never in the query, which logs keep). */
export function gotifyRequest(channel: OpenChannel, m: OutboundMessage): OutboundRequest {
  const u = new URL(base(channel.url))
  const body: Record<string, unknown> = { title: clip(m.title, 250), message: clip(m.message || m.title, 4000), priority: channel.settings.priority ?? 5 }
  const extras: Record<string, unknown> = { 'client::display': { contentType: 'text/plain' } }
  const link = clickable(m.link)
  if (link) extras['client::notification'] = { click: { url: link } }
  body.extras = extras
  return { baseUrl: u.origin, path: `${u.pathname.replace(/\/$/, '')}/message`, headers: { 'User-Agent': 'MediaNest-Notifications/1', 'X-Gotify-Key': channel.secret ?? '' }, body }
}

/** Pushover: POST /1/messages.json with the application token and the user key; its limits are 250/1024/512 characters. */
export function pushoverRequest(channel: OpenChannel, m: OutboundMessage): OutboundRequest {
  const u = new URL(base(channel.url))
  const body: Record<string, unknown> = { token: channel.secret ?? '', user: channel.settings.recipient, title: clip(m.title, 250), message: clip(m.message || m.title, 1024) }
  const link = clickable(m.link)
  if (link && link.length <= 512) Object.assign(body, { url: link, url_title: 'Open in MediaNest' })
  return { baseUrl: u.origin, path: `${u.pathname.replace(/\/$/, '')}/1/messages.json`, headers: { 'User-Agent': 'MediaNest-Notifications/1' }, body }
}

/** `now`: the signature's timestamp. */
export function outboundRequest(channel: OpenChannel, m: OutboundMessage, now: Date): OutboundRequest {
  switch (channel.kind) {
    case 'discord': return discordRequest(channel, m)
    case 'ntfy': return ntfyRequest(channel, m)
    case 'telegram': return telegramRequest(channel, m)
    case 'gotify': return gotifyRequest(channel, m)
    case 'pushover': return pushoverRequest(channel, m)
    default: return webhookRequest(channel, m, now)
  }
}

/** Statuses whose body says why in the service's own words: read them rather than throw a bare status. */
export const WORDED_STATUSES = [400, 401, 403, 404, 413, 429]

/**
 * What went wrong, in words, when a service's answer is a refusal (null when it took the
 * message). Telegram says `ok: false` and a description, Gotify an errorDescription,
 * Pushover `status` other than 1 with a list of errors (on any HTTP status).
 */
export function refusalIn(kind: OpenChannel['kind'], status: number, data: unknown): string | null {
  const d = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>
  const words = (v: unknown) => (typeof v === 'string' ? v.slice(0, 300) : null)
  if (kind === 'telegram') {
    if (status < 300 && d.ok === true) return null
    return `Telegram refused the message (HTTP ${status}): ${words(d.description) ?? 'no reason given'}`
  }
  if (kind === 'gotify') {
    if (status < 300) return null
    return `Gotify refused the message (HTTP ${status}): ${words(d.errorDescription) ?? words(d.error) ?? 'no reason given'}`
  }
  if (kind === 'pushover') {
    if (status < 300 && d.status === 1) return null
    const errors = Array.isArray(d.errors) ? d.errors.map(words).filter(Boolean).join('; ') : null
    return `Pushover refused the message (HTTP ${status}, status ${JSON.stringify(d.status ?? null)}): ${errors || 'no reason given'}`
  }
  return status < 300 ? null : `refused the message (HTTP ${status})`
}
