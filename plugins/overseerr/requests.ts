// The media_requests table and its two companions (seasons, timeline): row types, reads,
// creation with the database's dedupe, and the one way a status changes. Every status
// change writes its timeline entry, and its event where there is one, in the same
// transaction as the change; the requester's open pages hear of it after the commit.
import type { Knex, PublicUser, Viewer } from 'medianest/plugin-api'
import { REQUEST_EVENTS, type RequestEventPayload } from './api.ts'
import type { OverseerrContext } from './plugin-config.ts'
import { requestView, timelineView } from './request-pages.ts'
import { OPEN_STATUSES, type MediaType, type RequestStatus } from './statuses.ts'
import { myRequestsCache } from './my-requests-cache.ts'
import { requestsChanged } from './page-caches.ts'

export interface MediaRequestRow {
  id: string
  user_id: string
  title: string
  media_type: MediaType
  tmdb_id: number | null
  status: RequestStatus
  overseerr_id: number | null
  all_seasons: boolean
  year: number | null
  poster_path: string | null
  created_at: Date
  updated_at: Date
  completed_at: Date | null
}

export interface TimelineRow {
  id: string
  request_id: string
  at: Date
  actor_user_id: string | null
  actor: string
  from_status: RequestStatus | null
  to_status: RequestStatus
  note: string | null
}

/** Who or what changed a status, for the timeline. */
export interface Actor { userId: string | null; name: string }
export const SYSTEM = {
  // Names read after "by" in the timeline (migration 202612070900 renamed the older ones).
  autoApprove: { userId: null, name: 'MediaNest (auto-approval)' },
  sender: { userId: null, name: 'MediaNest (sending to Overseerr)' },
  webhook: { userId: null, name: 'Overseerr (webhook)' },
  poll: { userId: null, name: 'Overseerr (status sync)' },
} satisfies Record<string, Actor>

export const actorOf = (viewer: Pick<Viewer, 'id' | 'name' | 'email'>): Actor => ({ userId: viewer.id, name: viewer.name ?? viewer.email })

const EVENT_OF: Partial<Record<RequestStatus, string>> = {
  approved: REQUEST_EVENTS.approved, rejected: REQUEST_EVENTS.rejected, completed: REQUEST_EVENTS.completed, failed: REQUEST_EVENTS.failed,
  withdrawn: REQUEST_EVENTS.withdrawn, closed: REQUEST_EVENTS.closed,
}

export async function findRequest(db: Knex, id: string): Promise<MediaRequestRow | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null
  return (await db<MediaRequestRow>('media_requests').where({ id }).first()) ?? null
}

/**
 * The open request for a title, if any: for a show, the one asked for whole before
 * seasons had rows of their own (it covers every season).
 */
export async function openRequestFor(db: Knex, tmdbId: number, mediaType: MediaType): Promise<MediaRequestRow | null> {
  const q = db<MediaRequestRow>('media_requests').where({ tmdb_id: tmdbId, media_type: mediaType }).whereIn('status', OPEN_STATUSES)
  if (mediaType === 'tv') q.where({ all_seasons: true })
  return (await q.first()) ?? null
}

/** Each season of a show someone has asked for and is not in Plex yet, with the request that asks. */
export async function openSeasonsFor(db: Knex, tmdbId: number): Promise<Map<number, MediaRequestRow>> {
  const rows = await db('media_request_seasons as s').join('media_requests as r', 'r.id', 's.request_id')
    .where({ 's.tmdb_id': tmdbId, 's.status': 'open' }).select('s.season_number', 'r.*') as Array<MediaRequestRow & { season_number: number }>
  return new Map(rows.map(({ season_number: n, ...row }) => [n, row]))
}

/** A tv request's seasons and their states (an old all-seasons request has none). */
export async function seasonStatesOf(db: Knex, requestId: string): Promise<Array<{ season_number: number; status: SeasonStatus }>> {
  return db('media_request_seasons').where({ request_id: requestId }).orderBy('season_number').select('season_number', 'status')
}
export type SeasonStatus = 'open' | 'available' | 'ended'

export async function seasonsOf(db: Knex, requestId: string): Promise<number[]> {
  const rows = await db('media_request_seasons').where({ request_id: requestId }).orderBy('season_number')
  return rows.map((r: { season_number: number }) => r.season_number)
}

/** The picked seasons of many tv requests in one query (requests for all seasons have none). */
export async function seasonsByRequest(db: Knex, requestIds: string[]): Promise<Map<string, number[]>> {
  const bySeason = new Map<string, number[]>()
  if (!requestIds.length) return bySeason
  const rows = await db('media_request_seasons').whereIn('request_id', requestIds).orderBy('season_number') as Array<{ request_id: string; season_number: number }>
  for (const r of rows) bySeason.set(r.request_id, [...(bySeason.get(r.request_id) ?? []), r.season_number])
  return bySeason
}

/** "All seasons", "Season 2", "Seasons 1, 3": what a tv request asked for; null for a movie. */
export function seasonsLabel(row: Pick<MediaRequestRow, 'media_type' | 'all_seasons'>, seasons: number[] | undefined): string | null {
  if (row.media_type !== 'tv') return null
  if (row.all_seasons || !seasons?.length) return 'All seasons'
  return `${seasons.length === 1 ? 'Season' : 'Seasons'} ${seasons.join(', ')}`
}

export async function timelineOf(db: Knex, requestId: string): Promise<TimelineRow[]> {
  return db<TimelineRow>('media_request_timeline').where({ request_id: requestId }).orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }])
}

export function eventPayload(row: MediaRequestRow, user: Pick<PublicUser, 'name' | 'email'> | null, extra: Partial<RequestEventPayload> = {}): RequestEventPayload {
  return {
    requestId: row.id, userId: row.user_id, userName: user?.name ?? user?.email ?? 'someone', title: row.title,
    mediaType: row.media_type, tmdbId: row.tmdb_id, status: row.status, ...extra,
  }
}

export interface NewRequest {
  user: Viewer
  title: string
  mediaType: MediaType
  tmdbId: number
  year: number | null
  posterPath: string | null
  /** tv: 'all', or the season numbers; movie: 'all' (ignored). */
  seasons: 'all' | number[]
  autoApprove: boolean
}

export type CreateOutcome = { kind: 'created'; row: MediaRequestRow; skipped: number[] } | { kind: 'duplicate'; existing: MediaRequestRow | null }

const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === '23505'

/**
 * Creates a pending request (or an approved one with its send job, when auto-approved).
 * The partial unique index decides between simultaneous clicks: the loser gets the
 * winner's row.
 */
export async function createRequest(ctx: OverseerrContext, input: NewRequest): Promise<CreateOutcome> {
  const existing = await openRequestFor(ctx.db, input.tmdbId, input.mediaType)
  if (existing) return { kind: 'duplicate', existing }
  // A show: only the seasons nobody has an open ask for; none left is a duplicate of the first one's.
  let seasons: number[] = []
  let skipped: number[] = []
  if (input.mediaType === 'tv') {
    if (input.seasons === 'all') throw new Error('createRequest needs the seasons of a show written out')
    const taken = await openSeasonsFor(ctx.db, input.tmdbId)
    seasons = input.seasons.filter((n) => !taken.has(n))
    skipped = input.seasons.filter((n) => taken.has(n))
    if (!seasons.length) return { kind: 'duplicate', existing: taken.get(input.seasons[0]) ?? null }
  }
  let row: MediaRequestRow
  try {
    row = await ctx.db.transaction(async (trx) => {
      const [created] = await trx<MediaRequestRow>('media_requests').insert({
        user_id: input.user.id, title: input.title, media_type: input.mediaType, tmdb_id: input.tmdbId, status: 'pending',
        all_seasons: false, year: input.year, poster_path: input.posterPath,
      }).returning('*')
      // The unique index on open (show, season) decides between two people asking at once.
      if (seasons.length) await trx('media_request_seasons').insert(seasons.map((n) => ({ request_id: created.id, tmdb_id: input.tmdbId, season_number: n, status: 'open' })))
      const actor = actorOf(input.user)
      await addTimeline(trx, created.id, actor, null, 'pending', input.autoApprove ? null : 'Waiting for an admin to approve it.')
      await ctx.events.emit(REQUEST_EVENTS.created, eventPayload(created, input.user, { needsApproval: !input.autoApprove }), { trx })
      if (!input.autoApprove) return created
      return moveInside(ctx, trx, created, input.user, 'approved', SYSTEM.autoApprove, `Auto-approved for ${input.user.role === 'ADMIN' ? 'admins' : 'users'}.`, {})
    })
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    const winner = input.mediaType === 'tv' ? (await openSeasonsFor(ctx.db, input.tmdbId)).get(seasons[0]) : null
    return { kind: 'duplicate', existing: winner ?? await openRequestFor(ctx.db, input.tmdbId, input.mediaType) }
  }
  await publishChange(ctx, row)
  return { kind: 'created', row, skipped }
}

/** A show's season rows follow their request: ended with it, back open on a retry, all in Plex once it completes. */
async function seasonsFollow(trx: Knex.Transaction, requestId: string, to: RequestStatus): Promise<void> {
  const seasons = trx('media_request_seasons').where({ request_id: requestId })
  if (to === 'completed') await seasons.whereNot({ status: 'available' }).update({ status: 'available' })
  else if (OPEN_STATUSES.includes(to)) await seasons.where({ status: 'ended' }).update({ status: 'open' })
  else await seasons.where({ status: 'open' }).update({ status: 'ended' })
}

/**
 * Marks seasons of a show request that are in Plex now, each with a timeline line; returns
 * whether every season it asked for is (then the request is complete).
 */
export async function markSeasonsAvailable(
  ctx: OverseerrContext, row: MediaRequestRow, states: Array<{ season_number: number; status: SeasonStatus }>, inPlex: Set<number>, actor: Actor,
): Promise<boolean> {
  if (!states.length) return false
  const arrived = states.filter((s) => s.status === 'open' && inPlex.has(s.season_number)).map((s) => s.season_number)
  if (arrived.length) {
    await ctx.db.transaction(async (trx) => {
      await trx('media_request_seasons').where({ request_id: row.id, status: 'open' }).whereIn('season_number', arrived).update({ status: 'available' })
      await addTimeline(trx, row.id, actor, row.status, row.status, `${arrived.length === 1 ? 'Season' : 'Seasons'} ${arrived.join(', ')} ${arrived.length === 1 ? 'is' : 'are'} in Plex now.`)
    })
    await publishChange(ctx, row)
  }
  return states.every((s) => s.status === 'available' || arrived.includes(s.season_number))
}

async function addTimeline(trx: Knex, requestId: string, actor: Actor, from: RequestStatus | null, to: RequestStatus, note: string | null): Promise<void> {
  await trx('media_request_timeline').insert({
    request_id: requestId, at: trx.raw('clock_timestamp()'), actor_user_id: actor.userId, actor: actor.name.slice(0, 200), from_status: from, to_status: to, note: note?.slice(0, 1000) ?? null,
  })
}

export interface Move {
  id: string
  /** Moves only from one of these (checked in the UPDATE, so two movers cannot both win). */
  from: readonly RequestStatus[]
  to: RequestStatus
  actor: Actor
  note?: string | null
  /** Other columns to set with the change (overseerr_id). */
  set?: Partial<Pick<MediaRequestRow, 'overseerr_id'>>
  /** Extra payload for the event (a rejection's reason). */
  extra?: Partial<RequestEventPayload>
}

/** Moves one request; null when it was not in `from` (someone else moved it first). */
export async function moveRequest(ctx: OverseerrContext, move: Move): Promise<MediaRequestRow | null> {
  const row = await ctx.db.transaction((trx) => moveRequestIn(ctx, trx, move))
  if (row) await publishChange(ctx, row)
  return row
}

/** moveRequest inside the caller's transaction; the caller publishes the change once it commits. */
export async function moveRequestIn(ctx: OverseerrContext, trx: Knex.Transaction, move: Move): Promise<MediaRequestRow | null> {
  const current = await trx<MediaRequestRow>('media_requests').where({ id: move.id }).whereIn('status', move.from).forUpdate().first()
  if (!current) return null
  // With { trx }: on PGlite the transaction holds the only connection.
  const user = await ctx.users.get(current.user_id, { trx })
  return moveInside(ctx, trx, current, user, move.to, move.actor, move.note ?? null, move.set ?? {}, move.extra)
}

async function moveInside(
  ctx: OverseerrContext, trx: Knex.Transaction, current: MediaRequestRow, user: Pick<PublicUser, 'name' | 'email'> | null,
  to: RequestStatus, actor: Actor, note: string | null,
  set: Partial<Pick<MediaRequestRow, 'overseerr_id'>>, extra: Partial<RequestEventPayload> = {},
): Promise<MediaRequestRow> {
  const [row] = await trx<MediaRequestRow>('media_requests').where({ id: current.id }).update({
    ...set, status: to, updated_at: trx.fn.now() as unknown as Date,
    completed_at: to === 'completed' ? (trx.fn.now() as unknown as Date) : current.status === 'completed' ? null : current.completed_at,
  }).returning('*')
  await addTimeline(trx, row.id, actor, current.status, to, note)
  if (row.media_type === 'tv') await seasonsFollow(trx, row.id, to)
  if (to === 'approved') await ctx.jobs.enqueue('send', { requestId: row.id }, { trx, dedupeKey: `send:${row.id}` })
  const event = EVENT_OF[to]
  if (event) {
    await ctx.events.emit(event, eventPayload(row, user, { reason: note, ...extra }), { trx })
  }
  return row
}

/** The requester's open pages (their list, the request's page, the dashboard) update their badge. */
export async function publishChange(ctx: OverseerrContext, row: MediaRequestRow): Promise<void> {
  try {
    await myRequestsCache(ctx).invalidate(row.user_id)
    await requestsChanged(ctx)
    // The badge wherever the request shows, and on its own page the timeline with the new step:
    // one HTML for all their pages, so dates in the site's zone (each page moves them into its reader's).
    const write = (d: Date) => ctx.http.formatDate(null, d)
    const html = await ctx.views.render('overseerr:_live-status', { r: requestView(row, write), timeline: timelineView(await timelineOf(ctx.db, row.id), write) })
    await ctx.live.publish('message', html, { userId: row.user_id })
    await ctx.live.publish('overseerr-queue-changed', '', { role: 'ADMIN' })
  } catch (error) {
    // The change is committed; a page that missed it shows it on its next load.
    ctx.log.warn(`could not push the status of request ${row.id}: ${(error as Error).message}`)
  }
}
