// Reading requests for pages: "my requests" and the admin queue, both keyset-paginated
// (newest first, by created_at then id), and the view model one row renders from.
import type { Knex } from 'medianest/plugin-api'
import type { MediaRequestRow, TimelineRow } from './requests.ts'
import { posterUrl } from './search.ts'
import { MEDIA_TYPE_LABEL, STATUS_LABEL, STATUS_TONE, type MediaType, type RequestStatus } from './statuses.ts'

export const PAGE_SIZE = 25

export interface RequestView {
  id: string
  title: string
  year: number | null
  mediaType: MediaType
  typeLabel: string
  status: RequestStatus
  statusLabel: string
  tone: string
  poster: string | null
  createdAt: ShownDate
  completedAt: ShownDate | null
  overseerrId: number | null
  userId: string
  userName?: string
}

/** A date as a page prints it: the instant for <time datetime> and the text in its reader's zone. */
export interface ShownDate { iso: string; text: string }
/** Writes a date for whoever reads the page: (d) => ctx.http.formatDate(req, d), or null for a push. */
export type DateWriter = (date: Date) => string

const shown = (d: Date, write: DateWriter): ShownDate => ({ iso: d.toISOString(), text: write(d) })

export function requestView(row: MediaRequestRow, write: DateWriter, userName?: string): RequestView {
  return {
    id: row.id, title: row.title, year: row.year, mediaType: row.media_type, typeLabel: MEDIA_TYPE_LABEL[row.media_type],
    status: row.status, statusLabel: STATUS_LABEL[row.status], tone: STATUS_TONE[row.status], poster: posterUrl(row.poster_path),
    createdAt: shown(row.created_at, write), completedAt: row.completed_at ? shown(row.completed_at, write) : null, overseerrId: row.overseerr_id,
    userId: row.user_id, userName,
  }
}

export interface TimelineStep { at: ShownDate; actor: string; from: string | null; to: string; note: string | null }

export function timelineView(rows: TimelineRow[], write: DateWriter): TimelineStep[] {
  return rows.map((t) => ({
    at: shown(t.at, write), actor: t.actor, from: t.from_status ? STATUS_LABEL[t.from_status] : null,
    to: STATUS_LABEL[t.to_status], note: t.note,
  }))
}

/** A page position: the last row's created_at (µs kept as ISO text) and id. */
export interface Cursor { createdAt: string; id: string }
export const encodeCursor = (row: { created_at: Date; id: string; created_at_text?: string }) => `${row.created_at_text ?? row.created_at.toISOString()}_${row.id}`
export function decodeCursor(text: unknown): Cursor | null {
  if (typeof text !== 'string') return null
  const m = /^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)_([0-9a-f-]{36})$/i.exec(text)
  return m && !Number.isNaN(Date.parse(m[1])) ? { createdAt: m[1], id: m[2] } : null
}

export interface ListFilter { userId?: string; statuses?: readonly RequestStatus[]; mediaType?: MediaType; tmdbId?: number; after?: Cursor | null }

/** The query of one page, newest first, one row more than a page (so we know if there is another). */
export function listQuery(db: Knex, filter: ListFilter, limit = PAGE_SIZE): Knex.QueryBuilder {
  const q = db('media_requests')
    .select('*', db.raw(`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at_text`))
  if (filter.userId) q.where('user_id', filter.userId)
  if (filter.statuses?.length === 1) q.where('status', filter.statuses[0])
  else if (filter.statuses?.length) q.whereIn('status', filter.statuses)
  if (filter.mediaType) q.where('media_type', filter.mediaType)
  if (filter.tmdbId !== undefined) q.where('tmdb_id', filter.tmdbId)
  if (filter.after) q.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [filter.after.createdAt, filter.after.id])
  return q.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit + 1)
}

/** One page and whether there is another. created_at also travels as text, so the cursor keeps its microseconds. */
export async function listRequests(db: Knex, filter: ListFilter, limit = PAGE_SIZE): Promise<{ rows: Array<MediaRequestRow & { created_at_text: string }>; more: boolean }> {
  const rows = await listQuery(db, filter, limit)
  return { rows: rows.slice(0, limit) as Array<MediaRequestRow & { created_at_text: string }>, more: rows.length > limit }
}

/** Counting stops at this many: "1000+" is all a busy admin needs, and the page stays fast at any size. */
export const PENDING_COUNT_CAP = 1000
export const pendingCountQuery = (db: Knex): Knex.QueryBuilder =>
  // Ordered like the queue so the planner walks the (status, created_at) index instead of the table.
  db.from(db('media_requests').select('id').where({ status: 'pending' }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
    .limit(PENDING_COUNT_CAP).as('p')).count({ n: '*' })

export async function pendingCount(db: Knex): Promise<number> {
  const [{ n }] = await pendingCountQuery(db)
  return Number(n)
}

export const countLabel = (n: number): string => (n >= PENDING_COUNT_CAP ? `${PENDING_COUNT_CAP}+` : String(n))
