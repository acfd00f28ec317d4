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

  init(options: Options): void {
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

/** Per signed-in user, or per IP (IPv6 by /56 subnet) when anonymous. */
export function clientKey(req: Request): string {
  const viewer = viewerOf(req)
  return viewer ? `user:${viewer.id}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`
}

export interface LimitOptions {
  db: Knex
  endpoint: string
  limit: number
  windowMs: number
  key?: (req: Request) => string | null
  skip?: (req: Request) => boolean
  message?: string
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
    // The header validation is for the memory store's keys; ours are explicit.
    validate: { keyGeneratorIpFallback: false },
    handler: (req, _res, next, used) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime
      const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? clock.now().getTime() + used.windowMs) - clock.now().getTime()) / 1000))
      next(new TooManyRequests(options.message ?? `Too many requests. Try again in ${humanSeconds(seconds)}.`, seconds))
    },
  })
}

export function humanSeconds(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`
  return `${Math.ceil(seconds / 60)} minutes`
}

export async function deleteOldWindows(db: Knex, olderThanMs = 24 * 3600_000): Promise<number> {
  return db('rate_limits').where('window_start', '<', new Date(clock.now().getTime() - olderThanMs)).del()
}
