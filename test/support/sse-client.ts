// One open /events stream, read with Node's fetch the way hx-sse reads it.
import { sleep } from './wait-for.ts'

export class SseClient {
  text = ''
  ended = false
  status = 0
  headers = new Headers()
  private readonly controller = new AbortController()
  private reading: Promise<void> = Promise.resolve()

  /** `headers` carry the credential: a Cookie, an Authorization or a test header. */
  /** `path` may carry the page's mark, as the layout renders it: '/events?since=41'. */
  static async open(base: string, headers: Record<string, string> = {}, lastEventId?: string, path = '/events'): Promise<SseClient> {
    const client = new SseClient()
    const all: Record<string, string> = { Accept: 'text/event-stream', ...headers }
    if (lastEventId) all['Last-Event-ID'] = lastEventId
    const res = await fetch(`${base}${path}`, { headers: all, signal: client.controller.signal })
    client.status = res.status
    client.headers = res.headers
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    client.reading = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          client.text += decoder.decode(value, { stream: true })
        }
      } catch { /* aborted by close() */ }
      client.ended = true
    })()
    return client
  }

  /** The id of every event received, in order. */
  ids(): string[] {
    return [...this.text.matchAll(/^id: (\d+)$/gm)].map((m) => m[1])
  }

  async waitFor(what: string, check: (text: string) => boolean, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs
    while (!check(this.text)) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the stream so far: ${JSON.stringify(this.text)}`)
      await sleep(10)
    }
  }

  async waitForEnd(what: string, timeoutMs = 5000): Promise<void> {
    await this.waitFor(what, () => this.ended, timeoutMs)
  }

  async close(): Promise<void> {
    this.controller.abort()
    await this.reading
  }
}
