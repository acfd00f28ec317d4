// Keyset pagination over (created_at desc, id desc), shared by the user list and the
// error log. A cursor carries the row's timestamp at full microsecond precision (a JS
// Date would round it to milliseconds and skip or repeat rows that share one).
import type { Knex } from 'knex'
import { BadInput } from '../plugin-api.ts'

export const PAGE_SIZE = 50

interface Cursor { createdAt: string; id: string }

const CURSOR_TEXT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/

function encodeCursor(row: KeysetRow): string {
  return Buffer.from(`${row.page_cursor_at}|${row.id}`, 'utf8').toString('base64url')
}

function decodeCursor(text: string, field: string): Cursor {
  const match = text.length <= 200 ? CURSOR_TEXT.exec(Buffer.from(text, 'base64url').toString('utf8')) : null
  if (!match) throw new BadInput('That page link is not valid; start again from the first page.', { [field]: 'Not a valid page link.' })
  return { createdAt: match[1], id: match[2] }
}

/** What every paged query must select besides its own columns. */
export interface KeysetRow { id: string; page_cursor_at: string }

export interface KeysetColumns {
  /** Qualified column names, e.g. 'error_logs.created_at'. */
  createdAt: string
  id: string
}

export interface PageRequest { after?: string; before?: string }

export interface Page<T> {
  rows: T[]
  /** Cursor for the older page (`?after=`), or null on the last page. */
  next: string | null
  /** Cursor for the newer page (`?before=`), or null on the first page. */
  prev: string | null
  /** Whether this is not the first page (a link back to the start makes sense). */
  paged: boolean
}

/** The cursor column to add to a query's select list. */
export function cursorColumn(db: Knex, columns: KeysetColumns): Knex.Raw {
  return db.raw(`to_char(?? at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as page_cursor_at`, [columns.createdAt])
}

/** Throws BadInput for a malformed cursor, before any query runs. */
export function checkPageRequest(request: PageRequest): void {
  if (request.after) decodeCursor(request.after, 'after')
  if (request.before) decodeCursor(request.before, 'before')
}

/**
 * One page of `filtered()` (a fresh, filtered query that selects the row's columns and
 * `cursorColumn`), newest first. `before` wins over `after` when both are given.
 */
export async function keysetPage<T extends KeysetRow>(
  filtered: () => Knex.QueryBuilder,
  columns: KeysetColumns,
  request: PageRequest,
  pageSize = PAGE_SIZE,
): Promise<Page<T>> {
  const { createdAt, id } = columns
  const newer = (q: Knex.QueryBuilder, c: Cursor) => q.whereRaw('(??, ??) > (?::timestamptz, ?::uuid)', [createdAt, id, c.createdAt, c.id])
  const older = (q: Knex.QueryBuilder, c: Cursor) => q.whereRaw('(??, ??) < (?::timestamptz, ?::uuid)', [createdAt, id, c.createdAt, c.id])
  const exists = async (q: Knex.QueryBuilder) => Boolean(await q.clearSelect().clearOrder().first(id))
  const cursorOf = (row: T): Cursor => ({ createdAt: row.page_cursor_at, id: row.id })

  let rows: T[]
  let hasOlder: boolean
  let hasNewer: boolean
  if (request.before) {
    const cursor = decodeCursor(request.before, 'before')
    const found: T[] = await newer(filtered(), cursor).orderBy(createdAt, 'asc').orderBy(id, 'asc').limit(pageSize + 1)
    hasNewer = found.length > pageSize
    rows = found.slice(0, pageSize).reverse()
    hasOlder = rows.length > 0 && (await exists(older(filtered(), cursorOf(rows[rows.length - 1]))))
  } else {
    const cursor = request.after ? decodeCursor(request.after, 'after') : null
    const q = filtered().orderBy(createdAt, 'desc').orderBy(id, 'desc').limit(pageSize + 1)
    const found: T[] = await (cursor ? older(q, cursor) : q)
    hasOlder = found.length > pageSize
    rows = found.slice(0, pageSize)
    hasNewer = cursor !== null && rows.length > 0 && (await exists(newer(filtered(), cursorOf(rows[0]))))
  }
  return {
    rows,
    next: hasOlder ? encodeCursor(rows[rows.length - 1]) : null,
    prev: hasNewer ? encodeCursor(rows[0]) : null,
    paged: Boolean(request.after || request.before),
  }
}

