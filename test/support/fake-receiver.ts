// A loopback receiver for outbound notifications (a generic webhook, Discord, ntfy): it
// records every POST, answers as the real service would (Discord 204, ntfy 200 JSON,
// a webhook 200), and can be told to fail the first N requests with a status.
import { startFakeServer, type FakeServer, type RecordedRequest } from './fake-server.ts'

export interface FakeReceiver extends FakeServer {
  /** Answer the next `count` POSTs with `status` (then normally again). */
  failNext(count: number, status: number): void
  /** POSTs received, bodies parsed as JSON. */
  posts(): Array<RecordedRequest & { json: Record<string, unknown> }>
}

export async function startFakeReceiver(kind: 'webhook' | 'discord' | 'ntfy'): Promise<FakeReceiver> {
  let failing = 0
  let failStatus = 500
  const server = await startFakeServer((req) => {
    if (req.method !== 'POST') return { status: 405, body: 'POST only' }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return { status: 415, body: 'JSON only' }
    if (failing > 0) {
      failing -= 1
      return { status: failStatus, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message: 'receiver failing on purpose' }) }
    }
    let json: Record<string, unknown>
    try { json = JSON.parse(req.body) as Record<string, unknown> } catch { return { status: 400, body: 'bad JSON' } }
    if (kind === 'discord') {
      // Discord refuses a message with neither content nor embeds.
      if (!json.content && !Array.isArray(json.embeds)) return { status: 400, headers: { 'Content-Type': 'application/json' }, body: '{"message":"Cannot send an empty message","code":50006}' }
      return { status: 204 }
    }
    if (kind === 'ntfy') {
      if (typeof json.topic !== 'string' || !json.topic) return { status: 400, headers: { 'Content-Type': 'application/json' }, body: '{"code":40001,"http":400,"error":"invalid request: topic invalid"}' }
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 'abc', time: 1, event: 'message', topic: json.topic, message: json.message }) }
    }
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' }
  })
  return Object.assign(server, {
    failNext(count: number, status: number) { failing = count; failStatus = status },
    posts: () => server.requests.filter((r) => r.method === 'POST').map((r) => ({ ...r, json: JSON.parse(r.body) as Record<string, unknown> })),
  })
}
