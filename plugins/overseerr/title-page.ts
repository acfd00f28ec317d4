// A title's page (/overseerr/movie/:id, /overseerr/tv/:id): what Overseerr says of it
// (poster, backdrop, year, length, genres, availability in words), every request for it
// the viewer may see, the way to ask for it (the season picker for a show) and, once it
// is in Plex, the problem report form. One function builds what the page shows, for the
// page itself and for the forms on it that re-render it with their errors.
import type { Request, Response } from 'medianest/plugin-api'
import type { Details } from './overseerr-client.ts'
import type { OverseerrContext } from './plugin-config.ts'
import { listRequests, requestView } from './request-pages.ts'
import { imageUrl, posterUrl, yearOf } from './search.ts'
import { seasonChoices, type SeasonChoice } from './season-picker.ts'
import { OverseerrMediaStatus } from './status-mapping.ts'
import { STATUS_LABEL, type MediaType } from './statuses.ts'
import { openRequestFor } from './requests.ts'
import { PROBLEM_TYPES, PROBLEM_TYPE_LABEL, problemsFor, problemWhat, MAX_PROBLEM_MESSAGE } from './problems.ts'

export interface SeasonsForm { fields: Record<string, string>; chosen: number[]; choice: string }
export interface ProblemForm { fields: Record<string, string>; problemType: string; season: string; episode: string; message: string }
export const EMPTY_PROBLEM_FORM: ProblemForm = { fields: {}, problemType: '', season: '', episode: '', message: '' }

const M = OverseerrMediaStatus

/** "2 h 16 min", "45 min". */
function minutes(total: number): string {
  const h = Math.floor(total / 60)
  const m = total % 60
  return h ? `${h} h${m ? ` ${m} min` : ''}` : `${m} min`
}

/** The seasons Overseerr says are in Plex, in order. */
export function seasonsInPlex(details: Details): number[] {
  if (details.mediaInfo?.status === M.AVAILABLE) return (details.seasons ?? []).map((s) => s.seasonNumber).filter((n) => n > 0)
  return (details.mediaInfo?.seasons ?? []).filter((s) => s.status === M.AVAILABLE).map((s) => s.seasonNumber).sort((a, b) => a - b)
}

/** Where it stands, in a sentence a person reads. */
function availabilityWords(type: MediaType, details: Details): { words: string; tone: string } {
  const status = details.mediaInfo?.status ?? M.UNKNOWN
  switch (status) {
    case M.AVAILABLE: return { words: 'In Plex: ready to watch.', tone: 'ok' }
    case M.PARTIALLY_AVAILABLE: {
      const seasons = seasonsInPlex(details)
      return { words: `Partly in Plex${type === 'tv' && seasons.length ? `: season${seasons.length > 1 ? 's' : ''} ${seasons.join(', ')}` : ''}.`, tone: 'warn' }
    }
    case M.PROCESSING: return { words: 'Being processed: it is on its way to Plex.', tone: 'warn' }
    case M.PENDING: return { words: 'Requested: waiting for approval or a download.', tone: 'warn' }
    case M.UNKNOWN: return { words: 'Not in Plex, and not requested yet.', tone: '' }
    default: return { words: `Overseerr reports a status this MediaNest does not know (${status}).`, tone: 'warn' }
  }
}

/** In Plex (whole or some seasons) and known to Overseerr by a media id: a problem can be reported. */
export const reportable = (details: Details): boolean =>
  Boolean(details.mediaInfo?.id) && (details.mediaInfo?.status === M.AVAILABLE || details.mediaInfo?.status === M.PARTIALLY_AVAILABLE)

export async function renderTitle(ctx: OverseerrContext, req: Request, res: Response, type: MediaType, tmdbId: number, details: Details,
  options: { status?: number; fragment?: string; seasonsForm?: SeasonsForm; problemForm?: ProblemForm } = {}): Promise<void> {
  const viewer = ctx.http.mustViewer(req)
  const title = (details.title ?? details.name ?? '').slice(0, 500) || `TMDB ${tmdbId}`
  const year = yearOf(details.releaseDate ?? details.firstAirDate)
  const seasons: SeasonChoice[] = type === 'tv' ? await seasonChoices(ctx.db, viewer, details, tmdbId) : []
  const { rows } = await listRequests(ctx.db, { userId: viewer.role === 'ADMIN' ? undefined : viewer.id, tmdbId, mediaType: type }, 20)
  const people = viewer.role === 'ADMIN' ? new Map((await ctx.users.list({ ids: [...new Set(rows.map((r) => r.user_id))] })).map((u) => [u.id, u.name ?? u.email])) : new Map<string, string>()
  const open = type === 'movie' ? await openRequestFor(ctx.db, tmdbId, 'movie') : null
  const inPlex = seasonsInPlex(details)
  const runtime = type === 'movie' ? details.runtime : details.episodeRunTime?.[0]
  const seasonCount = (details.seasons ?? []).filter((s) => s.seasonNumber > 0).length
  const problems = await problemsFor(ctx.db, viewer, type, tmdbId)
  await ctx.views.pageOrFragment(req, res, {
    page: 'overseerr:title', fragment: options.fragment ?? 'overseerr:_title', title, status: options.status ?? 200,
    data: {
      t: {
        mediaType: type, tmdbId, title, year, poster: posterUrl(details.posterPath), backdrop: imageUrl('w1280', details.backdropPath),
        overview: (details.overview ?? '').slice(0, 2000), genres: (details.genres ?? []).map((g) => g.name.slice(0, 40)).slice(0, 8),
        facts: [
          type === 'movie' ? (runtime ? minutes(runtime) : null) : `${seasonCount} season${seasonCount === 1 ? '' : 's'}${runtime ? `, episodes about ${minutes(Math.round(runtime))}` : ''}`,
        ].filter(Boolean),
        availability: availabilityWords(type, details), inPlex: details.mediaInfo?.status === M.AVAILABLE,
      },
      viewerIsAdmin: viewer.role === 'ADMIN',
      requests: rows.map((r) => requestView(r, (d) => ctx.http.formatDate(req, d), r.user_id === viewer.id ? undefined : people.get(r.user_id) ?? 'a deleted user')),
      // A movie: one open request at a time (anyone's); its page when the viewer may see it.
      movieAsk: type === 'movie' ? { open: open ? { id: open.id, status: STATUS_LABEL[open.status], mine: open.user_id === viewer.id || viewer.role === 'ADMIN' } : null } : null,
      form: type === 'tv' ? { tmdbId, title, year, seasons, ...(options.seasonsForm ?? { fields: {}, chosen: [], choice: 'all' }) } : null,
      report: reportable(details) ? {
        form: options.problemForm ?? EMPTY_PROBLEM_FORM, open: Boolean(options.problemForm),
        types: PROBLEM_TYPES.map((p) => ({ value: p, label: PROBLEM_TYPE_LABEL[p] })),
        seasons: type === 'tv' ? inPlex : [], maxMessage: MAX_PROBLEM_MESSAGE,
      } : null,
      problems: problems.map((p) => ({ id: p.id, what: problemWhat(p), message: p.message, status: p.status, sendState: p.send_state, createdAt: { iso: p.created_at.toISOString(), text: ctx.http.formatDate(req, p.created_at, 'date') } })),
      notice: ctx.http.takeFlash(req, res, { reported: 'Thank you: the problem is reported, and you will hear when it is resolved.' }),
    },
  })
}
