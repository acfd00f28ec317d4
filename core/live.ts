// The one server-sent-events stream per page (GET /events). A fragment is published
// as a `live_events` row and its id is NOTIFYed on 'medianest_live' (NOTIFY payloads
// stop at 8000 bytes; fragments do not). Every process LISTENs, loads the row and
// writes it to its own open streams whose viewer the row's audience names. The rows
// stay for `keepFor`, so a page that reconnects (to any process) with Last-Event-ID
// gets what it missed from the database.
//
// A stream is only as good as the credential it opened with. Guarantees:
// - Every delivery (live, replayed or caught up) is checked against the stream's
//   viewer as it is at that moment, not as it was when the stream opened.
// - Given `recheck`, a stream re-reads its session or API token and its user when it
//   opens, on every notice about its user on 'medianest_sessions' (from any process:
//   logout, revocation, suspension, role change, token revocation), after the
//   listener reconnects and every few minutes. A credential gone or a user no longer
//   active ends the stream; a new role applies to the next delivery. Rows arriving
//   while a check runs wait for its answer.
// - At most maxStreamsPerUser streams per user (a new one closes that user's oldest)
//   and maxStreams per process (beyond that, 429 with Retry-After): one user cannot
//   exhaust the process's file descriptors. API-token streams count like any other.
// - A signed-out page (a public status page) gets an anonymous stream: it hears only
//   events published to { public: true }, at most maxAnonymousStreams per process
//   and maxAnonymousStreamsPerAddress per client address (a new one closes the oldest).
// - The hub remembers the highest id it has seen; when the listener comes back after
//   a loss, it loads and delivers every row published meanwhile.
//
// Wire format, as htmx 4's hx-sse extension parses it: `id:`, then `event:` only for
// named events (an unnamed message is HTML whose <hx-partial>s are swapped), one
// `data:` line per line of HTML, and a blank line.
import type { Request, RequestHandler, Response } from 'express'
import type { Logger } from 'winston'
import type { Database } from './db.ts'
import { durationMs } from './config.ts'
import { ServiceUnavailable, TooManyRequests, type LiveAudience, type Role, type Viewer } from './plugin-api.ts'
import { SESSION_CHANGES_CHANNEL } from './auth/session-cache.ts'

export const LIVE_CHANNEL = 'medianest_live'
/** A page gone longer than this many fragments is better off reloading. */
const REPLAY_LIMIT = 1000
/** Ids remembered per stream to drop the overlap between replay and live delivery. */
const REMEMBERED_IDS = 512
/** A client this far behind is cut off; it reconnects and replays from the database. */
const MAX_BUFFERED_BYTES = 1024 * 1024
const EVENT_NAME = /^[A-Za-z0-9_.:-]{1,120}$/
/** A session can also just expire, which no notice announces. */
const RECHECK_EVERY_MS = 5 * 60_000
/** Seconds a refused page waits before trying again. */
const RETRY_FULL_SECONDS = 30

export interface LiveRow {
  /** bigint: a string from pg. */
  id: string
  event: string
  html: string
  user_id: string | null
  role: Role | 'PUBLIC' | null
  created_at: Date
}

/** Re-reads a stream's viewer: null when its credential ended or the user may no longer sign in. */
export type RecheckViewer = (viewer: Viewer, apiTokenId: string | null) => Promise<Viewer | null>

interface Stream {
  /** Replaced by each recheck: audience checks always use the current one. Null: an anonymous stream (public events only). */
  viewer: Viewer | null
  /** Whose streams this counts among: the user's id, or `ip:<address>` for an anonymous one. */
  owner: string
  /** The API token the stream opened with (its viewer's sessionId is then null). */
  apiTokenId: string | null
  res: Response
  heartbeat: NodeJS.Timeout
  /** While replaying or rechecking, rows wait here and go out afterwards, in id order. */
  held: LiveRow[] | null
  /** Replays and rechecks in flight; rows are held until none is. */
  holds: number
  /** Only the latest recheck's answer counts (answers can arrive out of order). */
  checkSeq: number
  checkedAt: number
  sent: Set<string>
  closed: boolean
}

export interface LiveHubOptions {
  db: Database
  log: Logger
  /** A comment line this often keeps proxies from closing an idle stream (default 25 s). */
  heartbeatMs?: number
  /** How long rows are kept for replay (default '10m'). */
  keepFor?: string
  /** Without it streams are never re-validated (tests of the fan-out alone). */
  recheck?: RecheckViewer
  /** Open streams per user; a new one closes that user's oldest (default 10). */
  maxStreamsPerUser?: number
  /** Open streams in this process; beyond it /events answers 429 (default 500). */
  maxStreams?: number
  /** Of those, anonymous ones (public pages read signed out), default 100; and per address, default 4 (a new one closes that address's oldest). */
  maxAnonymousStreams?: number
  maxAnonymousStreamsPerAddress?: number
}

export class LiveHub {
  private readonly db: Database
  private readonly log: Logger
  private readonly heartbeatMs: number
  private readonly keepForMs: number
  private readonly recheck: RecheckViewer | null
  private readonly maxStreamsPerUser: number
  private readonly maxStreams: number
  private readonly maxAnonymous: number
  private readonly maxAnonymousPerAddress: number
  private anonymous = 0
  /** In opening order, so a user's first stream is their oldest. */
  private readonly streams = new Set<Stream>()
  private readonly byUser = new Map<string, Set<Stream>>()
  private readonly pending = new Set<string>()
  /** The highest live_events id delivered or skipped: a catch-up loads what is above it. */
  private lastSeenId = '0'
  private catchUpDue = false
  private warnedFullAt = -Infinity
  private draining: Promise<void> | null = null
  private unlisten: (() => Promise<void>) | null = null
  private readonly stoppers: Array<() => Promise<void> | void> = []
  private stopped = false

  constructor(options: LiveHubOptions) {
    this.db = options.db
    this.log = options.log
    this.heartbeatMs = options.heartbeatMs ?? 25_000
    this.keepForMs = durationMs(options.keepFor ?? '10m')
    this.recheck = options.recheck ?? null
    this.maxStreamsPerUser = options.maxStreamsPerUser ?? 10
    this.maxStreams = options.maxStreams ?? 500
    this.maxAnonymous = options.maxAnonymousStreams ?? 100
    this.maxAnonymousPerAddress = options.maxAnonymousStreamsPerAddress ?? 4
  }

  async start(): Promise<void> {
    if (this.unlisten) return
    this.stopped = false
    const [{ max }]: Array<{ max: string | number | null }> = await this.db.knex('live_events').max({ max: 'id' })
    this.lastSeenId = max === null ? '0' : String(max)
    this.unlisten = await this.db.listen(LIVE_CHANNEL, (id) => this.onNotify(id))
    this.stoppers.push(this.db.onReconnect(() => this.onListenerBack()))
    if (this.recheck) {
      this.stoppers.push(await this.db.listen(SESSION_CHANGES_CHANNEL, (userId) => this.recheckUser(userId)))
    }
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

  handler(viewerOf: (req: Request) => Viewer | null, apiTokenOf: (req: Request) => string | null = () => null): RequestHandler {
    return async (req, res) => {
      // Signed out: an anonymous stream that hears public events only (a public status page).
      const viewer = viewerOf(req)
      if (this.stopped || !this.unlisten) throw new ServiceUnavailable('Live updates are not available right now; the page will reconnect.', 3)
      const owner = viewer ? viewer.id : `ip:${req.ip ?? 'unknown'}`
      const mine = this.byUser.get(owner)
      // The owner's own oldest page gives way first, so the process cap refuses only when others fill it.
      const perOwner = viewer ? this.maxStreamsPerUser : this.maxAnonymousPerAddress
      while (mine && mine.size >= perOwner) this.close(mine.values().next().value!)
      if (!viewer && this.anonymous >= this.maxAnonymous) {
        throw new TooManyRequests('Too many live connections are open right now; the page will try again shortly.', RETRY_FULL_SECONDS)
      }
      if (this.streams.size >= this.maxStreams) {
        // Once a minute at most: a crowd of refused pages must not flood the log.
        if (performance.now() - this.warnedFullAt >= 60_000) {
          this.warnedFullAt = performance.now()
          this.log.warn(`live: ${this.streams.size} streams are open, the most this process takes (live.maxStreams); refusing new ones with 429`)
        }
        throw new TooManyRequests('Too many live connections are open right now; the page will try again shortly.', RETRY_FULL_SECONDS)
      }

      res.status(200)
      res.setHeader('Content-Type', 'text/event-stream')
      res.setHeader('Cache-Control', 'no-cache, no-transform')
      res.setHeader('X-Accel-Buffering', 'no')
      res.flushHeaders()
      req.socket.setNoDelay(true)
      res.write('retry: 3000\n\n')

      // The page's own mark (?since=, rendered with it) until the stream has delivered an
      // event; from then on the browser sends the id of the last one it got.
      const lastEventId = parseLastEventId(req.get('Last-Event-ID')) ?? parseLastEventId(typeof req.query.since === 'string' ? req.query.since : undefined)
      const stream: Stream = {
        viewer,
        owner,
        apiTokenId: viewer ? apiTokenOf(req) : null,
        res,
        held: null,
        holds: 0,
        checkSeq: 0,
        checkedAt: performance.now(),
        sent: new Set(),
        closed: false,
        heartbeat: setInterval(() => {
          this.write(stream, ': heartbeat\n\n')
          if (performance.now() - stream.checkedAt >= RECHECK_EVERY_MS) this.recheckStream(stream)
        }, this.heartbeatMs),
      }
      stream.heartbeat.unref()
      // Registered before the replay query and the first recheck: whatever is published
      // or changed from now on is held or noticed, not lost.
      this.add(stream)
      res.on('close', () => this.drop(stream))
      // The credential may have ended between authentication and now (no notice reached a stream).
      if (this.recheck && viewer) this.recheckStream(stream)
      if (lastEventId === null) return

      await this.holding(stream, async () => {
        stream.held!.push(...(await this.missedSince(lastEventId, stream.viewer)))
      }).catch((error: Error) => {
        this.log.warn(`live: replaying events after ${lastEventId} failed: ${error.message}; closing the stream so the page reconnects`)
        this.close(stream)
      })
    }
  }

  /** The last event this process knows of: a page rendered now has seen everything up to it. */
  mark(): string {
    return this.lastSeenId
  }

  connections(): number {
    return this.streams.size
  }

  async stop(): Promise<void> {
    this.stopped = true
    const unlisten = this.unlisten
    this.unlisten = null
    await unlisten?.().catch(() => undefined)
    for (const stop of this.stoppers.splice(0)) await Promise.resolve(stop()).catch(() => undefined)
    this.pending.clear()
    this.catchUpDue = false
    await this.draining
    for (const stream of [...this.streams]) this.close(stream)
  }

  async prune(): Promise<number> {
    return this.db.knex('live_events')
      .where('created_at', '<', this.db.knex.raw(`now() - ? * interval '1 millisecond'`, [this.keepForMs]))
      .del()
  }

  // ---------- who is still allowed to listen

  private recheckUser(userId: string): void {
    for (const stream of this.byUser.get(userId) ?? []) this.recheckStream(stream)
  }

  private recheckStream(stream: Stream): void {
    const recheck = this.recheck
    const viewer = stream.viewer
    // An anonymous stream has no credential to end.
    if (!recheck || stream.closed || !viewer) return
    const seq = ++stream.checkSeq
    stream.checkedAt = performance.now()
    this.holding(stream, async () => {
      const now = await recheck(viewer, stream.apiTokenId)
      if (seq !== stream.checkSeq || stream.closed) return
      if (!now) {
        this.log.info(`live: closing a stream of ${viewer.id}: its ${stream.apiTokenId ? 'API token' : 'session'} ended or the account can no longer sign in`)
        this.close(stream)
      } else {
        stream.viewer = now
      }
    }).catch((error: Error) => {
      // Failing closed: the page reconnects and is authenticated afresh.
      this.log.warn(`live: re-checking a stream of ${viewer.id} failed: ${error.message}; closing it`)
      this.close(stream)
    })
  }

  /** Runs work with the stream's deliveries held, then sends what waited to the viewer as it is now. */
  private async holding(stream: Stream, work: () => Promise<void>): Promise<void> {
    stream.holds += 1
    stream.held ??= []
    try {
      await work()
    } finally {
      stream.holds -= 1
      if (stream.holds === 0) {
        const held = stream.held ?? []
        stream.held = null
        for (const row of held.sort((a, b) => compareIds(a.id, b.id))) this.deliver(stream, row)
      }
    }
  }

  private onListenerBack(): void {
    if (this.stopped) return
    this.catchUpDue = true
    this.drain()
    for (const stream of this.streams) this.recheckStream(stream)
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
      while (this.pending.size || this.catchUpDue) {
        let rows: LiveRow[]
        if (this.catchUpDue) {
          // The listener was down: whatever was published meanwhile was never announced here.
          this.catchUpDue = false
          rows = await this.db.knex('live_events').where('id', '>', this.lastSeenId).orderBy('id').limit(REPLAY_LIMIT)
          if (rows.length === REPLAY_LIMIT) this.catchUpDue = true
          if (rows.length) this.log.info(`live: delivering ${rows.length} event(s) published while the listener was down`)
        } else {
          const ids = [...this.pending]
          this.pending.clear()
          for (const id of ids) this.saw(id)
          if (this.streams.size === 0) continue
          rows = await this.db.knex('live_events').whereIn('id', ids).orderBy('id')
        }
        for (const row of rows) {
          this.saw(String(row.id))
          for (const stream of this.streams) {
            if (stream.held) stream.held.push(row)
            else this.deliver(stream, row)
          }
        }
      }
    })()
      .catch((error) => { this.log.warn(`live: loading published events failed: ${error.message}`) })
      .finally(() => {
        this.draining = null
        if ((this.pending.size || this.catchUpDue) && !this.stopped) this.drain()
      })
  }

  private async missedSince(lastEventId: string, viewer: Viewer | null): Promise<LiveRow[]> {
    const rows: LiveRow[] = await this.db.knex('live_events')
      .where('id', '>', lastEventId)
      .where((q) => {
        q.where('role', PUBLIC)
        if (!viewer) return
        q.orWhereRaw('user_id::text = ?', [viewer.id]).orWhere('role', 'USER')
        if (viewer.role === 'ADMIN') q.orWhere('role', 'ADMIN')
      })
      .orderBy('id')
      .limit(REPLAY_LIMIT)
    if (rows.length === REPLAY_LIMIT) {
      this.log.info(`live: a page of ${viewer?.id ?? 'a visitor'} missed more than ${REPLAY_LIMIT} events; it gets the oldest ${REPLAY_LIMIT}`)
    }
    return rows
  }

  private saw(id: string): void {
    if (compareIds(id, this.lastSeenId) > 0) this.lastSeenId = id
  }

  /** The one place a row goes out: to the viewer as the stream knows them right now. */
  private deliver(stream: Stream, row: LiveRow): void {
    if (stream.closed || !reaches(row, stream.viewer)) return
    this.send(stream, row)
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
      this.log.warn(`live: a page of ${stream.viewer?.id ?? 'a visitor'} is not reading its events; closing its stream (it replays on reconnect)`)
      this.drop(stream)
      res.destroy()
    }
  }

  private add(stream: Stream): void {
    this.streams.add(stream)
    if (!stream.viewer) this.anonymous += 1
    let mine = this.byUser.get(stream.owner)
    if (!mine) this.byUser.set(stream.owner, (mine = new Set()))
    mine.add(stream)
  }

  private close(stream: Stream): void {
    this.drop(stream)
    stream.res.end()
  }

  private drop(stream: Stream): void {
    stream.closed = true
    clearInterval(stream.heartbeat)
    if (this.streams.delete(stream) && !stream.viewer) this.anonymous -= 1
    const mine = this.byUser.get(stream.owner)
    mine?.delete(stream)
    if (mine?.size === 0) this.byUser.delete(stream.owner)
  }
}

export function formatEvent(row: Pick<LiveRow, 'id' | 'event' | 'html'>): string {
  let text = `id: ${row.id}\n`
  if (row.event !== 'message') text += `event: ${row.event}\n`
  for (const line of row.html.split(/\r\n|\r|\n/)) text += `data: ${line}\n`
  return `${text}\n`
}

/** The role column of a row for every open page, signed in or not ({ public: true }). */
const PUBLIC = 'PUBLIC'

function audienceColumns(audience: LiveAudience): { user_id: string | null; role: Role | typeof PUBLIC | null } {
  if ('userId' in audience && typeof audience.userId === 'string' && audience.userId) {
    return { user_id: audience.userId, role: null }
  }
  if ('role' in audience && (audience.role === 'ADMIN' || audience.role === 'USER')) {
    return { user_id: null, role: audience.role }
  }
  if ('public' in audience && audience.public === true) return { user_id: null, role: PUBLIC }
  throw new Error(`A live audience is { userId }, { role: 'ADMIN' | 'USER' } or { public: true }, not ${JSON.stringify(audience)}.`)
}

/** PUBLIC reaches every stream, USER everyone signed in, ADMIN only admins, a user id only that user. */
function reaches(row: LiveRow, viewer: Viewer | null): boolean {
  if (row.role === PUBLIC) return true
  if (!viewer) return false
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
