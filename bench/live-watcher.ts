// A page's live stream (/events) kept open the way a browser keeps it: when the stream
// breaks it waits the `retry:` the server sent, then opens the same URL again with
// `Last-Event-ID` set to the id of the last event it received. Each connection is a
// segment, so a bench can tell which process served which part, and what the
// reconnection replayed. Reads with test/support/sse-client.ts (fetch, as hx-sse does).
import { SseClient } from '../test/support/sse-client.ts'
import { sleep } from '../test/support/wait-for.ts'

export interface Segment {
  client: SseClient
  status: number
  /** The bench's upstream header: which process answered (the last one nginx tried). */
  upstream: string | null
  /** Date.now() when the response headers came, and when the stream broke (null: open until stop()). */
  openedAt: number
  endedAt: number | null
  /** The Last-Event-ID this connection sent (null on the first). */
  lastEventIdSent: string | null
}

const DEFAULT_RETRY_MS = 3000

export class LiveWatcher {
  readonly segments: Segment[] = []
  /** Connections that failed before any response (the proxy unreachable). */
  failedOpens = 0
  private stopped = false
  private running: Promise<void> = Promise.resolve()

  constructor(private readonly base: string, private readonly headers: Record<string, string>, private readonly path: string, private readonly upstreamHeader: string) {}

  start(): void {
    this.running = this.run()
  }

  /** Every event id received, in order, across every connection. */
  ids(): string[] {
    return this.segments.flatMap((s) => s.client.ids())
  }

  current(): Segment | undefined {
    return this.segments.at(-1)
  }

  async stop(): Promise<void> {
    this.stopped = true
    await Promise.all(this.segments.map((s) => s.client.close()))
    await this.running
  }

  private async run(): Promise<void> {
    let lastEventId: string | null = null
    let retryMs = DEFAULT_RETRY_MS
    while (!this.stopped) {
      let client: SseClient
      try {
        client = await SseClient.open(this.base, this.headers, lastEventId ?? undefined, this.path)
      } catch {
        this.failedOpens++
        await sleep(retryMs)
        continue
      }
      const answered = client.headers.get(this.upstreamHeader)
      const segment: Segment = {
        client, status: client.status, upstream: answered ? answered.split(',').at(-1)!.trim() : null,
        openedAt: Date.now(), endedAt: null, lastEventIdSent: lastEventId,
      }
      this.segments.push(segment)
      if (this.stopped) {
        await client.close()
        break
      }
      while (!client.ended && !this.stopped) await sleep(20)
      if (this.stopped) break
      segment.endedAt = Date.now()
      if (client.status !== 200) await client.close()
      lastEventId = client.ids().at(-1) ?? lastEventId
      const retry = [...client.text.matchAll(/^retry: (\d+)$/gm)].at(-1)?.[1]
      if (retry) retryMs = Number(retry)
      await sleep(retryMs)
    }
  }
}
