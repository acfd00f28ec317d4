// Reading the brief's error_logs for the admin: filtered, newest first, in keyset pages,
// and one entry in full.
import type { Knex } from 'knex'
import { containsPattern } from './like-pattern.ts'
import { cursorColumn, keysetPage, type KeysetRow, type Page, type PageRequest } from './keyset-pages.ts'

export interface ErrorLogFilters {
  correlationId?: string
  status?: number
  /** Substring of the signed-in user's email. */
  user?: string
  /** Inclusive lower bound. */
  from?: Date
  /** Exclusive upper bound. */
  until?: Date
}

export interface ErrorLogSummary {
  id: string
  correlation_id: string
  error_code: string
  error_message: string
  request_path: string
  request_method: string
  status_code: number | null
  created_at: Date
  user_email: string | null
}

export interface ErrorLogEntry extends ErrorLogSummary {
  user_id: string | null
  stack_trace: string | null
  metadata: unknown
}

const KEYSET = { createdAt: 'e.created_at', id: 'e.id' }

function fromErrorLogs(db: Knex): Knex.QueryBuilder {
  return db('error_logs as e').leftJoin('users as u', 'u.id', 'e.user_id')
}

export async function searchErrorLogs(db: Knex, filters: ErrorLogFilters, page: PageRequest): Promise<Page<ErrorLogSummary & KeysetRow>> {
  const filtered = () => {
    const q = fromErrorLogs(db).select(
      'e.id', 'e.correlation_id', 'e.error_code', 'e.error_message', 'e.request_path', 'e.request_method',
      'e.status_code', 'e.created_at', 'u.email as user_email', cursorColumn(db, KEYSET),
    )
    if (filters.correlationId) q.where('e.correlation_id', filters.correlationId)
    if (filters.status !== undefined) q.where('e.status_code', filters.status)
    if (filters.user) q.where('u.email', 'ilike', containsPattern(filters.user))
    if (filters.from) q.where('e.created_at', '>=', filters.from)
    if (filters.until) q.where('e.created_at', '<', filters.until)
    return q
  }
  return keysetPage(filtered, KEYSET, page)
}

export async function findErrorLog(db: Knex, id: string): Promise<ErrorLogEntry | undefined> {
  return fromErrorLogs(db).select('e.*', 'u.email as user_email').where('e.id', id).first()
}
