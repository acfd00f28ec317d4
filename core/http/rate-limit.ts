// express-rate-limit with a store on the brief's rate_limits table: fixed windows,
// one atomic upsert per hit, so two processes sharing PostgreSQL count together.
import type { Knex } from 'knex'
import type { Request, RequestHandler } from 'express'
import { rateLimit, ipKeyGenerator, type Options, type Store, type IncrementResponse } from 'express-rate-limit'
import { clock } from '../clock.ts'
import { TooManyRequests } from '../plugin-api.ts'
import { viewerOf } from './request-context.ts'

export class KnexRateLimitStore implements Store {
  localKeys = false
  prefix: string
  private windowMs = 60_000

  constructor(private readonly db: Knex, readonly endpoint: string) {
    this.prefix = `${endpoint}:`
  }

  init(options: Pick<Options, 'windowMs'>): void {
    this.windowMs = options.windowMs
  }

  private windowStart(): Date {
    const now = clock.now().getTime()
    return new Date(now - (now % this.windowMs))
  }

  async increment(key: string): Promise<IncrementResponse> {
    const windowStart = this.windowStart()
    const userId = key.startsWith('user:') ? key.slice(5) : null
    const result = await this.db.raw<{ rows: Array<{ request_count: number }> }>(
      `insert into rate_limits (endpoint, client_key, user_id, request_count, window_start)
       values (?, ?, ?, 1, ?)
       on conflict (endpoint, client_key, window_start)
       do update set request_count = rate_limits.request_count + 1
       returning request_count`,
      [this.endpoint, key.slice(0, 160), userId, windowStart],
    )
    return { totalHits: Number(result.rows[0].request_count), resetTime: new Date(windowStart.getTime() + this.windowMs) }
  }

  async decrement(key: string): Promise<void> {
    await this.db('rate_limits')
      .where({ endpoint: this.endpoint, client_key: key.slice(0, 160), window_start: this.windowStart() })
      .andWhere('request_count', '>', 0)
      .decrement('request_count', 1)
  }

  async resetKey(key: string): Promise<void> {
    await this.db('rate_limits').where({ endpoint: this.endpoint, client_key: key.slice(0, 160) }).del()
  }
}

/**
 * The same table and windows for the per-user limit on every signed-in request, where
 * a database write per request would cost most of the request: hits are counted in
 * memory and added to the row in one upsert every `flushMs`. The stored totals stay
 * exact and atomic across processes; a process sees the others' hits as of its last
 * flush (and reads a key's total once when it first meets it), so two processes can
 * let through at most one flush interval's worth of extra requests. Sign-in limits,
 * where every attempt matters, use the exact store above.
 */
export class BufferedRateLimitStore implements Store {
  localKeys = false
  prefix: string
  private windowMs = 60_000
  private windowStart = 0
  private readonly pending = new Map<string, number>()
  private readonly known = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()

  constructor(private readonly db: Knex, readonly endpoint: string, private readonly flushMs = 500) {
    this.prefix = `${endpoint}:`
  }

  init(options: Pick<Options, 'windowMs'>): void {
    this.windowMs = options.windowMs
    this.timer = setInterval(() => { void this.flush() }, this.flushMs)
    this.timer.unref()
  }

  private roll(): Date {
    const now = clock.now().getTime()
    const start = now - (now % this.windowMs)
    if (start !== this.windowStart) {
      if (this.pending.size) void this.flush()
      this.windowStart = start
      this.known.clear()
    }
    return new Date(start)
  }

  /** Counts a hit without waiting, when the key's stored total is already known. */
  incrementKnown(key: string): IncrementResponse | null {
    const windowStart = this.roll()
    const k = key.slice(0, 160)
    const known = this.known.get(k)
    if (known === undefined) return null
    const pending = (this.pending.get(k) ?? 0) + 1
    this.pending.set(k, pending)
    return { totalHits: known + pending, resetTime: new Date(windowStart.getTime() + this.windowMs) }
  }

  async increment(key: string): Promise<IncrementResponse> {
    const windowStart = this.roll()
    const k = key.slice(0, 160)
    if (!this.known.has(k)) {
      const row = await this.db('rate_limits').where({ endpoint: this.endpoint, client_key: k, window_start: windowStart }).first('request_count')
      if (!this.known.has(k)) this.known.set(k, Number(row?.request_count ?? 0))
    }
    const pending = (this.pending.get(k) ?? 0) + 1
    this.pending.set(k, pending)
    return { totalHits: this.known.get(k)! + pending, resetTime: new Date(windowStart.getTime() + this.windowMs) }
  }

  async decrement(key: string): Promise<void> {
    const k = key.slice(0, 160)
    const pending = this.pending.get(k) ?? 0
    if (pending > 0) this.pending.set(k, pending - 1)
  }

  async resetKey(key: string): Promise<void> {
    const k = key.slice(0, 160)
    this.pending.delete(k)
    this.known.delete(k)
    await this.db('rate_limits').where({ endpoint: this.endpoint, client_key: k }).del()
  }

  /** Adds the counted hits to their rows in one statement. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (!this.pending.size) return
      const batch = [...this.pending].filter(([, n]) => n > 0)
      this.pending.clear()
      if (!batch.length) return
      const windowStart = new Date(this.windowStart)
      const values = batch.map(() => '(?, ?, ?, ?, ?)').join(', ')
      const bindings = batch.flatMap(([k, n]) => [this.endpoint, k, k.startsWith('user:') ? k.slice(5) : null, n, windowStart])
      try {
        const result = await this.db.raw<{ rows: Array<{ client_key: string; request_count: number }> }>(
          `insert into rate_limits (endpoint, client_key, user_id, request_count, window_start) values ${values}
           on conflict (endpoint, client_key, window_start)
           do update set request_count = rate_limits.request_count + excluded.request_count
           returning client_key, request_count`, bindings)
        if (windowStart.getTime() === this.windowStart) {
          for (const row of result.rows) this.known.set(row.client_key, Number(row.request_count))
        }
      } catch {
        // The database is away: keep the hits for the next flush rather than lose them.
        for (const [k, n] of batch) this.pending.set(k, (this.pending.get(k) ?? 0) + n)
      }
    })
    return this.flushing
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.flush()
  }
}

/**
 * The per-user limit on every signed-in request, on the buffered store. It runs on
 * every request, so it is a few lines of ours rather than express-rate-limit's full
 * middleware (header drafts, validations): it answers only the refusal, with Retry-After.
 */
export function perUserLimit(options: { store: BufferedRateLimitStore; limit: number; windowMs: number; skip: (req: Request) => boolean }): RequestHandler {
  const { store, limit } = options
  store.init({ windowMs: options.windowMs })
  const refuse = (resetTime: Date | undefined) => {
    const seconds = Math.max(1, Math.ceil(((resetTime?.getTime() ?? clock.now().getTime()) - clock.now().getTime()) / 1000))
    return new TooManyRequests(`Too many requests. Try again in ${humanSeconds(seconds)}.`, seconds)
  }
  return (req, _res, next) => {
    if (options.skip(req)) return next()
    const key = clientKey(req)
    const hit = store.incrementKnown(key)
    if (hit) return next(hit.totalHits > limit ? refuse(hit.resetTime) : undefined)
    store.increment(key).then((h) => next(h.totalHits > limit ? refuse(h.resetTime) : undefined), next)
  }
}

/** Per signed-in user, or per IP when anonymous. */
export function clientKey(req: Request): string {
  const viewer = viewerOf(req)
  return viewer ? `user:${viewer.id}` : `ip:${addressKey(req)}`
}

/** The client's address: IPv4 as it is, IPv6 by /56 subnet (one household's or host's block). */
export function addressKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? 'unknown')
}

export interface LimitOptions {
  db: Knex
  endpoint: string
  limit: number
  windowMs: number
  key?: (req: Request) => string | null
  skip?: (req: Request) => boolean
  /** The refusal, told how long to wait ("40 seconds", "15 minutes"). */
  message?: string | ((wait: string) => string)
  /**
   * Count only requests answered with a failure (status 400 and up, a refusal by this
   * or another limit included): a success takes its hit back when the response ends.
   * The hit is taken first, so a burst of concurrent guesses is still held to the limit.
   */
  failuresOnly?: boolean
  /**
   * Count only requests answered with a success (below 400): a refusal (bad input, a
   * conflict) takes its hit back when the response ends, so a person who mistypes five
   * times still has their hour's allowance (plugin API 1.8, `acceptedOnly`).
   */
  successesOnly?: boolean
}

export function createRateLimit(options: LimitOptions): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store: new KnexRateLimitStore(options.db, options.endpoint),
    keyGenerator: (req) => options.key?.(req) ?? clientKey(req),
    skip: options.skip,
    skipSuccessfulRequests: options.failuresOnly ?? false,
    skipFailedRequests: options.successesOnly ?? false,
    // The header validation is for the memory store's keys; ours are explicit.
    validate: { keyGeneratorIpFallback: false },
    handler: (req, _res, next, used) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime
      const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? clock.now().getTime() + used.windowMs) - clock.now().getTime()) / 1000))
      const wait = humanSeconds(seconds)
      const message = typeof options.message === 'function' ? options.message(wait) : options.message ?? `Too many requests. Try again in ${wait}.`
      next(new TooManyRequests(message, seconds))
    },
  })
}

/** A wait in words: "40 seconds", "12 minutes", "3 hours", "2 days". */
export function humanSeconds(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} minutes`
  if (seconds < 36 * 3600) return `${Math.ceil(seconds / 3600)} hours`
  return `${Math.ceil(seconds / 86_400)} days`
}

export async function deleteOldWindows(db: Knex, olderThanMs = 24 * 3600_000): Promise<number> {
  return db('rate_limits').where('window_start', '<', new Date(clock.now().getTime() - olderThanMs)).del()
}
