// Telling "the database cannot be reached" apart from every other database error, so
// an outage answers 503 with a retry hint instead of a 500 per request, and is reported
// to the process log at a bounded rate (it cannot be written to error_logs).
import type { Logger } from 'winston'

/** Socket-level failures: the server is down, restarting, or not where the URL says. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
/** PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now; class 08 is "connection exception". */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03'])
/** pg's own words when a connection dies under it (these errors carry no code). */
const PG_MESSAGES = /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect)/

/** knex puts the statement before pg's own words: "select … - Connection terminated unexpectedly". */
function pgWords(message: string): string {
  const at = message.lastIndexOf(' - ')
  return at < 0 ? message : message.slice(at + 3)
}

/**
 * By code and shape, as pg and knex throw them (unwrapped). A `cause` is not followed:
 * fetch's "fetch failed" carries ECONNREFUSED there, and an upstream that is down is not
 * the database.
 */
export function isDatabaseUnreachable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 1) return false
  const { code, message, errors, severity } = error as { code?: unknown; message?: unknown; errors?: unknown; severity?: unknown }
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true
  // FATAL ends the session, whatever the code: a database that refuses connections
  // (allow_connections false, 55000), too many connections (53300), a dropped database.
  if (severity === 'FATAL' || severity === 'PANIC') return true
  if (typeof message === 'string' && PG_MESSAGES.test(pgWords(message))) return true
  // Node reports a refused connection to every address of a host as one AggregateError.
  return Array.isArray(errors) && errors.some((e) => isDatabaseUnreachable(e, depth + 1))
}

/** A warn at most once per interval; what was held back is counted in the next one. */
export function throttledWarn(log: Logger, intervalMs: number): (message: string) => void {
  let lastAt = -Infinity
  let held = 0
  return (message) => {
    const now = performance.now()
    if (now - lastAt < intervalMs) {
      held += 1
      return
    }
    log.warn(held ? `${message} (and ${held} more like it since the last report)` : message)
    lastAt = now
    held = 0
  }
}
