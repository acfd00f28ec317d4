// The one server-sent-events stream per page (GET /events). A fragment is published
// as a `live_events` row and its id is NOTIFYed on 'medianest_live' (NOTIFY payloads
// stop at 8000 bytes; fragments do not). Every process LISTENs, loads the row and
// writes it to its own open streams whose viewer the row's audience names. The rows
// stay for `keepFor`, so a page that reconnects (to any process) with Last-Event-ID
// gets what it missed from the database.
//
// Wire format, as htmx 4's hx-sse extension parses it: `id:`, then `event:` only for
// named events (an unnamed message is HTML whose <hx-partial>s are swapped), one
// `data:` line per line of HTML, and a blank line.
import type { Request, RequestHandler, Response } from 'express'
import type { Logger } from 'winston'
import type { Database } from './db.ts'
import { durationMs } from './config.ts'
import { ServiceUnavailable, Unauthorized, type LiveAudience, type Role, type Viewer } from './plugin-api.ts'

export const LIVE_CHANNEL = 'medianest_live'
/** A page gone longer than this many fragments is better off reloading. */
const REPLAY_LIMIT = 1000
/** Ids remembered per stream to drop the overlap between replay and live delivery. */
const REMEMBERED_IDS = 512
/** A client this far behind is cut off; it reconnects and replays from the database. */
const MAX_BUFFERED_BYTES = 1024 * 1024
const EVENT_NAME = /^[A-Za-z0-9_.:-]{1,120}$/

export interface LiveRow {
  /** bigint: a string from pg. */
  id: string
  event: string
  html: string
  user_id: string | null
  role: Role | null
  created_at: Date
}

interface Stream {
  viewer: Viewer
  res: Response
  heartbeat: NodeJS.Timeout
  /** While replaying, live rows wait here so they go out after the replayed ones. */
  held: LiveRow[] | null
  sent: Set<string>
}

export interface LiveHubOptions {
  db: Database
  log: Logger
  /** A comment line this often keeps proxies from closing an idle stream (default 25 s). */
  heartbeatMs?: number
  /** How long rows are kept for replay (default '10m'). */
  keepFor?: string
}

export class LiveHub {
  private readonly db: Database
  private readonly log: Logger
  private readonly heartbeatMs: number
  private readonly keepForMs: number
  private readonly streams = new Set<Stream>()
  private readonly pending = new Set<string>()
  private draining: Promise<void> | null = null
  private unlisten: (() => Promise<void>) | null = null
  private stopped = false

  constructor(options: LiveHubOptions) {
    this.db = options.db
    this.log = options.log
    this.heartbeatMs = options.heartbeatMs ?? 25_000
    this.keepForMs = durationMs(options.keepFor ?? '10m')
  }

  async start(): Promise<void> {
    if (this.unlisten) return
    this.stopped = false
    this.unlisten = await this.db.listen(LIVE_CHANNEL, (id) => this.onNotify(id))
  }

  async publish(event: string, html: string, audience: LiveAudience): Promise<void> {
    if (!EVENT_NAME.test(event)) {
      throw new Error(`"${event}" cannot be a live event name: use letters, digits and - _ . : only ('message' swaps <hx-partial>s).`)
    }
    const target = audienceColumns(audience)
    const [row]: Array<{ id: string }> = await this.db.knex('live_events')
      .insert({ event, html, ...target })
      .returning('id')
    await this.db.notify(LIVE_CHANNEL, String(row.id))
  }

  handler(viewerOf: (req: Request) => Viewer | null): RequestHandler {
    return async (req, res) => {
      const viewer = viewerOf(req)
      if (!viewer) throw new Unauthorized()
      if (this.stopped || !this.unlisten) throw new ServiceUnavailable('Live updates are not available right now; the page will reconnect.', 3)

      res.status(200)
      res.setHeader('Content-Type', 'text/event-stream')
      res.setHeader('Cache-Control', 'no-cache, no-transform')
      res.setHeader('X-Accel-Buffering', 'no')
      res.flushHeaders()
      req.socket.setNoDelay(true)
      res.write('retry: 3000\n\n')

      const lastEventId = parseLastEventId(req.get('Last-Event-ID'))
      const stream: Stream = {
        viewer,
        res,
        held: lastEventId === null ? null : [],
        sent: new Set(),
        heartbeat: setInterval(() => this.write(stream, ': heartbeat\n\n'), this.heartbeatMs),
      }
      stream.heartbeat.unref()
      // Registered before the replay query: whatever is published from now on is held, not lost.
      this.streams.add(stream)
      res.on('close', () => this.drop(stream))
      if (lastEventId === null) return

      try {
        const missed = await this.missedSince(lastEventId, viewer)
        for (const row of missed) this.send(stream, row)
        const held = stream.held ?? []
        stream.held = null
        for (const row of held.sort((a, b) => compareIds(a.id, b.id))) this.send(stream, row)
      } catch (error) {
        this.log.warn(`live: replaying events after ${lastEventId} failed: ${(error as Error).message}; closing the stream so the page reconnects`)
        this.drop(stream)
        res.end()
      }
    }
  }

  connections(): number {
    return this.streams.size
  }

  async stop(): Promise<void> {
    this.stopped = true
    const unlisten = this.unlisten
    this.unlisten = null
    await unlisten?.().catch(() => undefined)
    this.pending.clear()
    await this.draining
    for (const stream of [...this.streams]) {
      this.drop(stream)
      stream.res.end()
    }
  }

  async prune(): Promise<number> {
    return this.db.knex('live_events')
      .where('created_at', '<', this.db.knex.raw(`now() - ? * interval '1 millisecond'`, [this.keepForMs]))
      .del()
  }

  // ---------- fan-out

  private onNotify(id: string): void {
    if (!/^\d{1,18}$/.test(id)) return
    this.pending.add(id)
    this.drain()
  }

  /** Loads notified rows in batches, in id order, one batch at a time. */
  private drain(): void {
    if (this.draining) return
    this.draining = (async () => {
      while (this.pending.size) {
        const ids = [...this.pending]
        this.pending.clear()
        if (this.streams.size === 0) continue
        const rows: LiveRow[] = await this.db.knex('live_events').whereIn('id', ids).orderBy('id')
        for (const row of rows) {
          for (const stream of this.streams) {
            if (!reaches(row, stream.viewer)) continue
            if (stream.held) stream.held.push(row)
            else this.send(stream, row)
          }
        }
      }
    })()
      .catch((error) => { this.log.warn(`live: loading published events failed: ${error.message}`) })
      .finally(() => {
        this.draining = null
        if (this.pending.size && !this.stopped) this.drain()
      })
  }

  private async missedSince(lastEventId: string, viewer: Viewer): Promise<LiveRow[]> {
    const rows: LiveRow[] = await this.db.knex('live_events')
      .where('id', '>', lastEventId)
      .where((q) => {
        q.whereRaw('user_id::text = ?', [viewer.id]).orWhere('role', 'USER')
        if (viewer.role === 'ADMIN') q.orWhere('role', 'ADMIN')
      })
      .orderBy('id')
      .limit(REPLAY_LIMIT)
    if (rows.length === REPLAY_LIMIT) {
      this.log.info(`live: a page of ${viewer.id} missed more than ${REPLAY_LIMIT} events; it gets the oldest ${REPLAY_LIMIT}`)
    }
    return rows
  }

  private send(stream: Stream, row: LiveRow): void {
    const id = String(row.id)
    if (stream.sent.has(id)) return
    stream.sent.add(id)
    if (stream.sent.size > REMEMBERED_IDS) stream.sent.delete(stream.sent.values().next().value!)
    this.write(stream, formatEvent(row))
  }

  private write(stream: Stream, text: string): void {
    const { res } = stream
    if (res.writableEnded || res.destroyed) return
    res.write(text)
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      this.log.warn(`live: a page of ${stream.viewer.id} is not reading its events; closing its stream (it replays on reconnect)`)
      this.drop(stream)
      res.destroy()
    }
  }

  private drop(stream: Stream): void {
    clearInterval(stream.heartbeat)
    this.streams.delete(stream)
  }
}

export function formatEvent(row: Pick<LiveRow, 'id' | 'event' | 'html'>): string {
  let text = `id: ${row.id}\n`
  if (row.event !== 'message') text += `event: ${row.event}\n`
  for (const line of row.html.split(/\r\n|\r|\n/)) text += `data: ${line}\n`
  return `${text}\n`
}

function audienceColumns(audience: LiveAudience): { user_id: string | null; role: Role | null } {
  if ('userId' in audience && typeof audience.userId === 'string' && audience.userId) {
    return { user_id: audience.userId, role: null }
  }
  if ('role' in audience && (audience.role === 'ADMIN' || audience.role === 'USER')) {
    return { user_id: null, role: audience.role }
  }
  throw new Error(`A live audience is { userId } or { role: 'ADMIN' | 'USER' }, not ${JSON.stringify(audience)}.`)
}

/** USER reaches everyone signed in, ADMIN only admins, a user id only that user. */
function reaches(row: LiveRow, viewer: Viewer): boolean {
  if (row.user_id !== null) return row.user_id === viewer.id
  if (row.role === 'ADMIN') return viewer.role === 'ADMIN'
  return row.role === 'USER'
}

function parseLastEventId(header: string | undefined): string | null {
  const value = header?.trim()
  return value && /^\d{1,18}$/.test(value) ? value : null
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)
}
