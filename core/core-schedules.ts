// The core's own housekeeping, run once per interval across the cluster.
import type { Knex } from 'knex'
import type { ScheduleDefinition } from './plugin-api.ts'
import type { LiveHub } from './live.ts'
import { deleteExpiredSessions } from './auth/sessions.ts'
import { deleteExpiredApiTokens } from './auth/api-tokens.ts'
import { deleteExpiredCodes } from './auth/one-time-codes.ts'
import { deleteOldWindows } from './http/rate-limit.ts'
import { deleteOldSubmissions } from './http/one-time-forms.ts'
import { deleteOldDeliveries } from './webhooks/deliveries.ts'
import { pruneErrorLogs } from './http/error-recorder.ts'

export function coreSchedules(options: {
  db: Knex
  live: LiveHub
  errorLog: { retentionMs: number; maxRows: number }
  extra?: ScheduleDefinition[]
}): ScheduleDefinition[] {
  const { db, live } = options
  return [
    {
      id: 'expired-sessions', every: '15m', timeout: '1m', scope: 'cluster',
      async run({ log }) {
        const sessions = await deleteExpiredSessions(db)
        const tokens = await deleteExpiredApiTokens(db)
        const codes = await deleteExpiredCodes(db)
        if (sessions + tokens + codes) log.info(`removed ${sessions} expired sessions, ${tokens} API tokens, ${codes} one-time codes`)
      },
    },
    {
      id: 'rate-limit-windows', every: '1h', timeout: '1m', scope: 'cluster',
      async run() { await deleteOldWindows(db) },
    },
    {
      id: 'form-submissions', every: '1h', timeout: '1m', scope: 'cluster',
      async run() { await deleteOldSubmissions(db) },
    },
    {
      id: 'error-log-retention', every: '1h', timeout: '5m', scope: 'cluster',
      async run({ log }) {
        const { expired, overCap } = await pruneErrorLogs(db, options.errorLog)
        if (expired + overCap) log.info(`error_logs: removed ${expired} rows past retention and ${overCap} over the ${options.errorLog.maxRows}-row cap`)
      },
    },
    {
      id: 'live-events', every: '5m', timeout: '1m', scope: 'cluster',
      async run() { await live.prune() },
    },
    {
      // A sender retries for hours, not weeks: a week of dedupe keys is plenty.
      id: 'webhook-deliveries', every: '1h', timeout: '1m', scope: 'cluster',
      async run() { await deleteOldDeliveries(db) },
    },
    ...(options.extra ?? []),
  ]
}
