// /admin/errors: the error log, filtered by correlation id, status, user and UTC dates,
// in keyset pages, and each entry in full. Filters are checked before any query runs.
import express, { type Router } from 'express'
import { z } from 'zod'
import { BadInput, NotFound } from '../plugin-api.ts'
import { parseInput } from '../http/parse-input.ts'
import type { AdminDeps } from './deps.ts'
import { textFields } from './form-fields.ts'
import { checkPageRequest } from './keyset-pages.ts'
import { uuidParam } from './path-params.ts'
import { utcSecond } from './timestamps.ts'
import { pushCleanUrl } from './history-url.ts'
import { findErrorLog, searchErrorLogs, type ErrorLogFilters, type ErrorLogSummary } from './error-log-search.ts'

const FILTER_NAMES = ['correlation_id', 'status', 'user', 'from', 'to'] as const
/** What the filter form calls each field, for messages (never the raw parameter name). */
const FIELD_LABELS: Record<string, string> = {
  correlation_id: 'Correlation id', status: 'Status', user: 'User email', from: 'From', to: 'To',
}
const DAY_MS = 86_400_000

/** 'YYYY-MM-DD' as midnight UTC, or null when it is not a real date. */
function utcDay(text: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null
  const date = new Date(`${text}T00:00:00.000Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text ? date : null
}

const dayFilter = z.string().trim().refine((s) => s === '' || utcDay(s) !== null, 'Use a real date written like 2026-11-25 (year-month-day, UTC).')

const filterSchema = z.object({
  correlation_id: z.string().trim().max(64, 'A correlation id has at most 64 characters.'),
  status: z.string().trim().refine((s) => s === '' || /^[1-5][0-9]{2}$/.test(s), 'Use an HTTP status code between 100 and 599, like 500.'),
  user: z.string().trim().max(254, 'Use at most 254 characters.'),
  from: dayFilter,
  to: dayFilter,
}).refine((f) => !f.from || !f.to || f.from <= f.to, { path: ['to'], message: 'The end date is before the start date.' })
  .transform((f): ErrorLogFilters => ({
    correlationId: f.correlation_id || undefined,
    status: f.status ? Number(f.status) : undefined,
    user: f.user || undefined,
    from: f.from ? utcDay(f.from)! : undefined,
    until: f.to ? new Date(utcDay(f.to)!.getTime() + DAY_MS) : undefined,
  }))

function present(e: ErrorLogSummary) {
  return {
    id: e.id,
    at: utcSecond(e.created_at),
    status: e.status_code,
    code: e.error_code,
    message: e.error_message.length > 200 ? `${e.error_message.slice(0, 200)}…` : e.error_message,
    request: `${e.request_method} ${e.request_path}`,
    correlationId: e.correlation_id,
    user: e.user_email,
  }
}

function errorsHref(filters: Record<string, string>, page: { after?: string; before?: string } = {}): string {
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries({ ...filters, ...page })) if (v) search.set(k, v)
  const text = search.toString()
  return text ? `/admin/errors?${text}` : '/admin/errors'
}

export function errorLogRoutes(deps: AdminDeps): Router {
  const { db, views } = deps
  const router = express.Router()

  router.get('/errors', async (req, res) => {
    const raw = textFields(req.query, FILTER_NAMES)
    const values = Object.fromEntries(FILTER_NAMES.map((n) => [n, raw[n].trim().slice(0, 254)])) as Record<string, string>
    const pageRequest = textFields(req.query, ['after', 'before'])
    let error: string | null = null
    let fields: Record<string, string> = {}
    let result = null
    try {
      const filters = parseInput(filterSchema, raw)
      const page = { after: pageRequest.after || undefined, before: pageRequest.before || undefined }
      checkPageRequest(page)
      result = await searchErrorLogs(db, filters, page)
    } catch (e) {
      if (!(e instanceof BadInput)) throw e
      // One message: the filters' own, each under the name the form shows; a broken page link says so alone.
      const filterProblem = Object.keys(e.fields).some((k) => (FILTER_NAMES as readonly string[]).includes(k))
      error = filterProblem ? 'Please correct the filters:' : e.message
      fields = filterProblem ? Object.fromEntries(Object.entries(e.fields).map(([k, m]) => [FIELD_LABELS[k] ?? k, m])) : {}
    }
    const filtered = FILTER_NAMES.some((n) => values[n])
    pushCleanUrl(req, res, errorsHref(values, { after: pageRequest.after, before: pageRequest.before }))
    await views.pageOrFragment(req, res, {
      page: 'admin/errors', fragment: 'admin/_errors-results', title: 'Error log', status: error ? 422 : 200,
      data: {
        values,
        error,
        fields,
        filtered,
        entries: result?.rows.map(present) ?? [],
        pager: {
          target: '#admin-errors-results',
          firstHref: result?.paged ? errorsHref(values) : null,
          prevHref: result?.prev ? errorsHref(values, { before: result.prev }) : null,
          nextHref: result?.next ? errorsHref(values, { after: result.next }) : null,
        },
      },
    })
  })

  router.get('/errors/:id', async (req, res) => {
    const entry = await findErrorLog(db, uuidParam(req, 'error log entry'))
    if (!entry) throw new NotFound('There is no such error log entry.')
    await views.pageOrFragment(req, res, {
      page: 'admin/error-entry', fragment: 'admin/error-entry', title: `Error ${entry.correlation_id}`,
      data: {
        entry: {
          ...present(entry),
          message: entry.error_message,
          userId: entry.user_id,
          stack: entry.stack_trace,
          metadata: entry.metadata === null || entry.metadata === undefined ? null : JSON.stringify(entry.metadata, null, 2),
        },
      },
    })
  })

  return router
}
