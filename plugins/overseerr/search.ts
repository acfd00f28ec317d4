// Search over Overseerr, turned into what the results list shows: title, year, type,
// poster address and availability in words. People are left out (they cannot be requested).
import type { Knex } from 'medianest/plugin-api'
import type { MediaInfo, OverseerrClient, SearchPage } from './overseerr-client.ts'
import { OverseerrMediaStatus } from './status-mapping.ts'
import { imageKey, type ImageSize } from './image-cache.ts'
import { OPEN_STATUSES, STATUS_LABEL, STATUS_TONE, type MediaType, type RequestStatus } from './statuses.ts'

export const MAX_QUERY = 200
/** TMDB ids fit in an int; a larger "id" is not one. */
export const MAX_TMDB_ID = 2_000_000_000

export type Availability = 'available' | 'partially-available' | 'processing' | 'requested' | 'not-requested' | 'unknown'
export const AVAILABILITY_LABEL: Record<Availability, string> = {
  available: 'Available', 'partially-available': 'Partially available', processing: 'Processing', requested: 'Requested',
  'not-requested': 'Not requested', unknown: 'Unknown status',
}

export function availabilityOf(info: Pick<MediaInfo, 'status'> | null | undefined): Availability {
  const M = OverseerrMediaStatus
  switch (info?.status ?? M.UNKNOWN) {
    case M.AVAILABLE: return 'available'
    case M.PARTIALLY_AVAILABLE: return 'partially-available'
    case M.PROCESSING: return 'processing'
    case M.PENDING: return 'requested'
    case M.UNKNOWN: return 'not-requested'
    default: return 'unknown'
  }
}

/** Only a TMDB path like `/abc.jpg` becomes an image address, on our own origin (image-routes.ts). */
export function imageUrl(size: ImageSize, path: string | null | undefined): string | null {
  return path && path.startsWith('/') && imageKey(size, path.slice(1)) ? `/overseerr/images/${size}${path}` : null
}
export const posterUrl = (path: string | null | undefined) => imageUrl('w300', path)

export const yearOf = (date: string | null | undefined): number | null => {
  const m = /^(\d{4})/.exec(date ?? '')
  return m ? Number(m[1]) : null
}

export interface ResultView {
  key: string
  mediaType: MediaType
  tmdbId: number
  title: string
  year: number | null
  poster: string | null
  overview: string
  availability: Availability
  availabilityLabel: string
  /** Our open request for it, when there is one. */
  ours: { id: string; mine: boolean; statusLabel: string; tone: string } | null
}

export interface SearchView { query: string; page: number; totalPages: number; totalResults: number; results: ResultView[] }

export async function searchTitles(db: Knex, client: OverseerrClient, viewer: { id: string; role: string }, query: string, page: number, signal?: AbortSignal): Promise<SearchView> {
  const answer = await client.search(query, page, signal)
  return { query, page: answer.page, totalPages: Math.min(answer.totalPages, 500), totalResults: answer.totalResults, results: await viewTitles(db, viewer, answer.results) }
}

/** One page of Overseerr's titles (search or discovery) as the viewer sees them (null: anyone's view): people left out, our open request marked. */
export async function viewTitles(db: Knex, viewer: { id: string; role: string } | null, found: SearchPage['results']): Promise<ResultView[]> {
  const titles = found.filter((r): r is typeof r & { mediaType: MediaType } => r.mediaType === 'movie' || r.mediaType === 'tv')
  const ids = titles.map((t) => t.id)
  const open = ids.length
    ? await db('media_requests').select('id', 'user_id', 'tmdb_id', 'media_type', 'status').whereIn('tmdb_id', ids).whereIn('status', OPEN_STATUSES)
    : []
  return titles.map((t): ResultView => {
    const mine = open.find((o: { tmdb_id: number; media_type: string }) => o.tmdb_id === t.id && o.media_type === t.mediaType)
    const availability = availabilityOf(t.mediaInfo)
    return {
      key: `${t.mediaType}-${t.id}`, mediaType: t.mediaType, tmdbId: t.id, title: (t.title ?? t.name ?? '(untitled)').slice(0, 500),
      year: yearOf(t.releaseDate ?? t.firstAirDate), poster: posterUrl(t.posterPath), overview: (t.overview ?? '').slice(0, 600),
      availability, availabilityLabel: availability === 'unknown' ? `Unknown status (${t.mediaInfo?.status})` : AVAILABILITY_LABEL[availability],
      ours: mine ? { id: mine.id, mine: viewer !== null && (mine.user_id === viewer.id || viewer.role === 'ADMIN'), statusLabel: STATUS_LABEL[mine.status as RequestStatus], tone: STATUS_TONE[mine.status as RequestStatus] } : null,
    }
  })
}
