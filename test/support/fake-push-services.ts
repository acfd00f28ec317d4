// Loopback fakes of three push services' send endpoints, written from their public docs
// and answering as they do, refusals included:
// - Telegram Bot API (core.telegram.org/bots/api): POST /bot<token>/sendMessage, JSON or
//   form; `{ ok: true, result: Message }`, or `{ ok: false, error_code, description }`
//   with the same HTTP status (401 "Unauthorized" for a bad token, 400 "Bad Request:
//   chat not found", "message text is empty", "message is too long" past 4096).
// - Gotify (gotify.net/api-docs, createMessage): POST /message with the application token
//   in X-Gotify-Key (or ?token=); 200 with the stored message, 401/403 and 400 as
//   `{ error, errorCode, errorDescription }`. A server may live under a path prefix.
// - Pushover (pushover.net/api): POST /1/messages.json; `{ status: 1, request }`, or a 4xx
//   with `{ status: 0, errors: [...], request }` naming each bad parameter (message
//   required and at most 1024 characters, title 250, url 512).
import crypto from 'node:crypto'
import { startFakeServer, type FakeServer, type RecordedRequest } from './fake-server.ts'

const json = (status: number, body: unknown) => ({ status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })

/** JSON or a urlencoded form, as each of these APIs accepts both. */
function params(req: RecordedRequest): Record<string, unknown> | null {
  const type = String(req.headers['content-type'] ?? '')
  if (type.startsWith('application/json')) {
    try { return JSON.parse(req.body) as Record<string, unknown> } catch { return null }
  }
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(req.body))
  return {}
}

export interface FakePushService extends FakeServer {
  /** Bodies of the messages it took (not the refused ones). */
  taken: Array<Record<string, unknown>>
}

export interface FakeTelegram extends FakePushService { token: string; chatId: string }

export async function startFakeTelegram(): Promise<FakeTelegram> {
  const token = `${crypto.randomInt(100000, 999999)}:AAH${crypto.randomBytes(24).toString('base64url').slice(0, 32)}`
  const chatId = '-1001234567890'
  const taken: Array<Record<string, unknown>> = []
  let messageId = 0
  const server = await startFakeServer((req) => {
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.path)
    if (!m) return json(404, { ok: false, error_code: 404, description: 'Not Found' })
    if (m[1] !== token) return json(401, { ok: false, error_code: 401, description: 'Unauthorized' })
    if (m[2] !== 'sendMessage') return json(404, { ok: false, error_code: 404, description: 'Not Found: method not found' })
    const p = params(req)
    if (!p) return json(400, { ok: false, error_code: 400, description: "Bad Request: can't parse JSON" })
    if (String(p.chat_id ?? '') !== chatId) return json(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' })
    const text = typeof p.text === 'string' ? p.text : ''
    if (!text.trim()) return json(400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' })
    if ([...text].length > 4096) return json(400, { ok: false, error_code: 400, description: 'Bad Request: message is too long' })
    taken.push(p)
    messageId += 1
    return json(200, { ok: true, result: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(chatId), type: 'supergroup' }, text } })
  })
  return Object.assign(server, { token, chatId, taken })
}

export interface FakeGotify extends FakePushService { appToken: string; prefix: string }

/** `prefix`: where the server lives (a reverse proxy's sub-path), '' for the root. */
export async function startFakeGotify(prefix = ''): Promise<FakeGotify> {
  const appToken = `A${crypto.randomBytes(12).toString('base64url').slice(0, 14)}`
  const taken: Array<Record<string, unknown>> = []
  let id = 0
  const server = await startFakeServer((req) => {
    if (req.path !== `${prefix}/message`) return json(404, { error: 'Not Found', errorCode: 404, errorDescription: 'page not found' })
    const given = String(req.headers['x-gotify-key'] ?? req.query.token ?? '')
    if (!given) return json(401, { error: 'Unauthorized', errorCode: 401, errorDescription: 'you need to provide a valid access token or user credentials to access this api' })
    if (given !== appToken) return json(401, { error: 'Unauthorized', errorCode: 401, errorDescription: 'you need to provide a valid access token or user credentials to access this api' })
    const p = params(req)
    if (!p) return json(400, { error: 'Bad Request', errorCode: 400, errorDescription: 'invalid character in JSON' })
    if (typeof p.message !== 'string' || !p.message) return json(400, { error: 'Bad Request', errorCode: 400, errorDescription: "Field 'message' is required" })
    if (p.priority !== undefined && !Number.isInteger(Number(p.priority))) return json(400, { error: 'Bad Request', errorCode: 400, errorDescription: "Field 'priority' is not an integer" })
    taken.push(p)
    id += 1
    return json(200, { id, appid: 1, message: p.message, title: p.title ?? 'app', priority: Number(p.priority ?? 0), extras: p.extras ?? null, date: new Date().toISOString() })
  })
  return Object.assign(server, { appToken, prefix, taken })
}

export interface FakePushover extends FakePushService {
  appToken: string
  userKey: string
  /** Answer HTTP 200 with `status: 0` from now on: a relay in front of Pushover that hides the status. */
  statusZeroOn200(on: boolean): void
}

const pushoverKey = () => crypto.randomBytes(30).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 30).padEnd(30, 'x')

export async function startFakePushover(): Promise<FakePushover> {
  const appToken = pushoverKey()
  const userKey = pushoverKey()
  const taken: Array<Record<string, unknown>> = []
  let zeroOn200 = false
  const request = () => crypto.randomUUID()
  const server = await startFakeServer((req) => {
    if (req.path !== '/1/messages.json') return json(404, { status: 0, errors: ['resource not found'], request: request() })
    const p = params(req)
    if (!p) return json(400, { status: 0, errors: ['could not parse the request'], request: request() })
    if (zeroOn200) return json(200, { status: 0, errors: ['relay could not deliver the message'], request: request() })
    if (p.token !== appToken) return json(400, { token: 'invalid', errors: ['application token is invalid, see https://pushover.net/api'], status: 0, request: request() })
    if (p.user !== userKey) return json(400, { user: 'invalid', errors: ['user identifier is not a valid user, group, or subscribed user key, see https://pushover.net/api#identifiers'], status: 0, request: request() })
    const message = typeof p.message === 'string' ? p.message : ''
    if (!message) return json(400, { message: 'cannot be blank', errors: ['message cannot be blank'], status: 0, request: request() })
    if (message.length > 1024) return json(400, { message: 'is too long', errors: ['message cannot be longer than 1024 characters'], status: 0, request: request() })
    if (typeof p.title === 'string' && p.title.length > 250) return json(400, { title: 'is too long', errors: ['title cannot be longer than 250 characters'], status: 0, request: request() })
    if (typeof p.url === 'string' && p.url.length > 512) return json(400, { url: 'is too long', errors: ['url cannot be longer than 512 characters'], status: 0, request: request() })
    taken.push(p)
    return json(200, { status: 1, request: request() })
  })
  return Object.assign(server, { appToken, userKey, taken, statusZeroOn200(on: boolean) { zeroOn200 = on } })
}
