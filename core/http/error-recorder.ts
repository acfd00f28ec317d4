// What reaches error_logs, and how long it stays. The table is for an admin reading
// what broke, and nothing a caller does may make it grow without bound:
// - A server error (5xx) is a row of its own, with its stack, while a process-wide
//   token bucket (errorLog.serverErrorsPerMinute) has tokens; a storm beyond that is
//   counted, not stored.
// - A refused request (4xx) is never a row of its own: anyone, signed in or not, can
//   send them as fast as the network allows (4,415 rows in 10 s in the 2026-11 attack
//   run). Each is counted under (status, code, method, first path segment), and once
//   per errorLog.summaryWindow the counts become one summary row per key. Keys are
//   capped per window, so at most MAX_KEYS + 1 summary rows a window per process.
// - 404 and 429 are not counted at all: scanners and the rate limiter make them by
//   the thousand and the process log already has them.
// - The retention schedule (pruneErrorLogs) deletes rows past errorLog.retention and
//   keeps at most errorLog.maxRows newest rows.
import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import { clock } from '../clock.ts'

export interface ErrorLogRow {
  correlation_id: string
  user_id: string | null
  error_code: string
  error_message: string
  stack_trace: string | null
  request_path: string
  request_method: string
  status_code: number
  metadata: string
}

export interface ErrorLogPolicy {
  serverErrorsPerMinute: number
  summaryWindowMs: number
}

/** What the error handler knows about one failed request. */
export interface FailedRequest {
  status: number
  code: string
  method: string
  /** Already redacted. */
  path: string
  message: string
  requestId: string
  /** The full row, built only when it may be stored. */
  row(): ErrorLogRow
}

interface Summary {
  status: number
  code: string
  method: string
  pathPattern: string
  count: number
  /** Of those, 5xx that found the token bucket empty. */
  dropped: number
  firstAt: Date
  lastAt: Date
  lastMessage: string
  requestIds: string[]
}

const UNCOUNTED_STATUSES = new Set([404, 429])
const MAX_KEYS = 50
const SAMPLE_IDS = 3

/** '/logout/x/y' -> '/logout/*': the one segment that names the area (a plugin's mount, /admin, /login). */
export function pathPattern(path: string): string {
  const [, first = '', ...rest] = path.split('/')
  const head = first.length > 40 ? `${first.slice(0, 40)}…` : first
  return `/${head}${rest.length ? '/*' : ''}`
}

export class ErrorRecorder {
  private tokens: number
  private refilledAt = performance.now()
  private summaries = new Map<string, Summary>()
  private windowStart = clock.now()
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()

  constructor(private readonly db: Knex, private readonly log: Logger, private readonly policy: ErrorLogPolicy) {
    this.tokens = policy.serverErrorsPerMinute
  }

  /** Stores a 5xx now (when the bucket allows); counts everything else for the window's summary. */
  async record(failure: FailedRequest): Promise<void> {
    if (UNCOUNTED_STATUSES.has(failure.status)) return
    if (failure.status >= 500 && this.takeToken()) {
      await this.db('error_logs').insert(failure.row())
        .catch((error: Error) => this.log.warn(`could not write error_logs: ${error.message}`))
      return
    }
    this.count(failure)
  }

  start(): void {
    this.timer ??= setInterval(() => { void this.flush() }, this.policy.summaryWindowMs)
    this.timer.unref()
  }

  /** Writes the summaries counted so far (at each window's end, at shutdown, and in tests). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeSummaries())
    return this.flushing
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.flush()
  }

  private takeToken(): boolean {
    const now = performance.now()
    const perMs = this.policy.serverErrorsPerMinute / 60_000
    this.tokens = Math.min(this.policy.serverErrorsPerMinute, this.tokens + (now - this.refilledAt) * perMs)
    this.refilledAt = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  private count(failure: FailedRequest): void {
    let pattern = pathPattern(failure.path)
    let key = `${failure.status} ${failure.code} ${failure.method} ${pattern}`
    // Attacker-chosen first segments must not make unbounded keys: past the cap, one bucket.
    if (!this.summaries.has(key) && this.summaries.size >= MAX_KEYS) {
      pattern = '/*'
      key = `${failure.status} ${failure.code} ${failure.method} ${pattern}`
    }
    const now = clock.now()
    let s = this.summaries.get(key)
    if (!s) {
      s = {
        status: failure.status, code: failure.code, method: failure.method, pathPattern: pattern,
        count: 0, dropped: 0, firstAt: now, lastAt: now, lastMessage: '', requestIds: [],
      }
      this.summaries.set(key, s)
    }
    s.count += 1
    if (failure.status >= 500) s.dropped += 1
    s.lastAt = now
    s.lastMessage = failure.message.slice(0, 500)
    if (s.requestIds.length < SAMPLE_IDS) s.requestIds.push(failure.requestId)
  }

  private async writeSummaries(): Promise<void> {
    const summaries = [...this.summaries.values()]
    const from = this.windowStart
    this.summaries = new Map()
    this.windowStart = clock.now()
    if (!summaries.length) return
    const dropped = summaries.reduce((n, s) => n + s.dropped, 0)
    if (dropped) {
      this.log.warn(`error_logs: ${dropped} server errors since ${from.toISOString()} were counted, not stored one by one (more than ${this.policy.serverErrorsPerMinute} a minute)`)
    }
    const rows = summaries.map((s): ErrorLogRow => ({
      correlation_id: `summary-${crypto.randomUUID()}`,
      user_id: null,
      error_code: s.code.slice(0, 64),
      error_message: `${s.count} ${s.count === 1 ? 'request was' : 'requests were'} answered ${s.status} ${s.code} ` +
        `between ${s.firstAt.toISOString()} and ${s.lastAt.toISOString()}` +
        `${s.dropped ? ` (${s.dropped} not stored one by one: too many server errors a minute)` : ''}. Last: ${s.lastMessage}`,
      stack_trace: null,
      request_path: s.pathPattern,
      request_method: s.method,
      status_code: s.status,
      metadata: JSON.stringify({ summary: true, count: s.count, dropped: s.dropped, firstAt: s.firstAt, lastAt: s.lastAt, sampleRequestIds: s.requestIds }),
    }))
    await this.db('error_logs').insert(rows)
      .catch((error: Error) => this.log.warn(`could not write ${rows.length} error_logs summaries: ${error.message}`))
  }
}

/** The retention schedule's work: rows older than retentionMs go, then all but the newest maxRows. */
export async function pruneErrorLogs(db: Knex, options: { retentionMs: number; maxRows: number }): Promise<{ expired: number; overCap: number }> {
  const expired = await db('error_logs').where('created_at', '<', new Date(clock.now().getTime() - options.retentionMs)).delete()
  // The newest row past the cap, and everything older, in one statement (a Date read back
  // into JavaScript would lose the microseconds and miss rows). Uses the created_at index.
  const overCap = await db('error_logs').whereRaw(
    '(created_at, id) <= (select created_at, id from error_logs order by created_at desc, id desc offset ? limit 1)',
    [options.maxRows],
  ).delete()
  return { expired, overCap }
}
