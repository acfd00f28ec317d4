// Problem reports (Overseerr's "issues") in our own table: creating one (with its
// `report` job and event in the same transaction), reading them for a title or for the
// admins, and the one way a report's status changes (open ⇄ resolved), whoever moves it.
import type { Knex, Viewer } from 'medianest/plugin-api'
import { PROBLEM_EVENTS, type ProblemEventPayload } from './api.ts'
import type { OverseerrContext } from './plugin-config.ts'
import type { MediaType } from './statuses.ts'

export const PROBLEM_TYPES = ['video', 'audio', 'subtitles', 'other'] as const
export type ProblemType = (typeof PROBLEM_TYPES)[number]
export const PROBLEM_TYPE_LABEL: Record<ProblemType, string> = { video: 'Video', audio: 'Audio', subtitles: 'Subtitles', other: 'Other' }
/** Overseerr's IssueType numbers. */
export const OVERSEERR_ISSUE_TYPE: Record<ProblemType, 1 | 2 | 3 | 4> = { video: 1, audio: 2, subtitles: 3, other: 4 }
export const MAX_PROBLEM_MESSAGE = 2000

export type ProblemStatus = 'open' | 'resolved'
export type SendState = 'sending' | 'sent' | 'failed'

export interface ProblemRow {
  id: string
  user_id: string
  media_type: MediaType
  tmdb_id: number
  title: string
  overseerr_media_id: number
  overseerr_issue_id: number | null
  problem_type: ProblemType
  season: number | null
  episode: number | null
  message: string
  status: ProblemStatus
  send_state: SendState
  send_error: string | null
  resolved_by: string | null
  resolved_at: Date | null
  created_at: Date
  updated_at: Date
  checked_at: Date | null
}

export interface NewProblem {
  user: Viewer
  mediaType: MediaType
  tmdbId: number
  title: string
  overseerrMediaId: number
  problemType: ProblemType
  season: number | null
  episode: number | null
  message: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function findProblem(db: Knex, id: string): Promise<ProblemRow | null> {
  if (!UUID.test(id)) return null
  return (await db<ProblemRow>('media_problems').where({ id }).first()) ?? null
}

function payloadOf(row: ProblemRow, userName: string, extra: Partial<ProblemEventPayload> = {}): ProblemEventPayload {
  return {
    problemId: row.id, userId: row.user_id, userName, title: row.title, mediaType: row.media_type, tmdbId: row.tmdb_id,
    problemType: row.problem_type, season: row.season, episode: row.episode, ...extra,
  }
}

/** Stores the report, queues its sending to Overseerr and tells the admins, in one transaction. */
export async function createProblem(ctx: OverseerrContext, input: NewProblem): Promise<ProblemRow> {
  return ctx.db.transaction(async (trx) => {
    const [row] = await trx<ProblemRow>('media_problems').insert({
      user_id: input.user.id, media_type: input.mediaType, tmdb_id: input.tmdbId, title: input.title,
      overseerr_media_id: input.overseerrMediaId, problem_type: input.problemType, season: input.season, episode: input.episode,
      message: input.message,
    }).returning('*')
    await ctx.jobs.enqueue('report', { problemId: row.id }, { trx, dedupeKey: `report:${row.id}` })
    await ctx.events.emit(PROBLEM_EVENTS.reported, payloadOf(row, input.user.name ?? input.user.email), { trx })
    return row
  })
}

/**
 * Moves a report between open and resolved when it is not there already; null when it
 * was (someone else moved it first: nothing is written twice, no event twice).
 */
export async function moveProblem(ctx: OverseerrContext, id: string, to: ProblemStatus, by: string): Promise<ProblemRow | null> {
  return ctx.db.transaction(async (trx) => {
    const now = ctx.clock.now()
    const [row] = await trx<ProblemRow>('media_problems').where({ id }).whereNot({ status: to })
      .update(to === 'resolved'
        ? { status: to, resolved_by: by.slice(0, 200), resolved_at: now, updated_at: now }
        : { status: to, resolved_by: null, resolved_at: null, updated_at: now })
      .returning('*')
    if (!row) return null
    if (to === 'resolved') {
      const reporter = await ctx.users.get(row.user_id, { trx })
      await ctx.events.emit(PROBLEM_EVENTS.resolved, payloadOf(row, reporter?.name ?? reporter?.email ?? 'Someone', { resolvedBy: by }), { trx })
    }
    return row
  })
}

/** The reports on one title that the viewer may see: their own, or all for an admin; newest first. */
export async function problemsFor(db: Knex, viewer: Pick<Viewer, 'id' | 'role'>, mediaType: MediaType, tmdbId: number): Promise<ProblemRow[]> {
  return db<ProblemRow>('media_problems').where({ media_type: mediaType, tmdb_id: tmdbId })
    .modify((q) => { if (viewer.role !== 'ADMIN') q.where({ user_id: viewer.id }) })
    .orderBy('created_at', 'desc').limit(20)
}

/** What a report reads as: "Video, season 2 episode 3". */
export function problemWhat(row: Pick<ProblemRow, 'problem_type' | 'season' | 'episode'>): string {
  const where = row.season !== null ? `, season ${row.season}${row.episode !== null ? ` episode ${row.episode}` : ''}` : ''
  return `${PROBLEM_TYPE_LABEL[row.problem_type]}${where}`
}
