// What each season of a show is, for the picker and for a new request: in Plex (from
// Overseerr's per-season media status), asked for by someone here (our open season rows),
// or free to ask for. Only the free ones are offered and sent; the specials (season 0)
// are not requested through MediaNest.
import type { Knex, Viewer } from 'medianest/plugin-api'
import type { Details } from './overseerr-client.ts'
import { openRequestFor, openSeasonsFor } from './requests.ts'
import { OverseerrMediaStatus } from './status-mapping.ts'
import type { RequestStatus } from './statuses.ts'

export type SeasonState = 'in-plex' | 'mine' | 'requested' | 'processing' | 'free'
export interface SeasonChoice { n: number; state: SeasonState; label: string; requestId: string | null; requestStatus: RequestStatus | null }

const LABEL: Record<SeasonState, string> = {
  'in-plex': 'In Plex', mine: 'You asked for it', requested: 'Asked for by someone', processing: 'Being processed', free: 'Not requested',
}
// Overseerr's own per-season states that mean "on its way" (asked for there, not through us).
const ON_ITS_WAY = new Set<number>([OverseerrMediaStatus.PENDING, OverseerrMediaStatus.PROCESSING])

export async function seasonChoices(db: Knex, viewer: Pick<Viewer, 'id' | 'role'>, details: Details, tmdbId: number): Promise<SeasonChoice[]> {
  const showInPlex = details.mediaInfo?.status === OverseerrMediaStatus.AVAILABLE
  const theirs = new Map((details.mediaInfo?.seasons ?? []).map((s) => [s.seasonNumber, s.status]))
  const open = await openSeasonsFor(db, tmdbId)
  // A show asked for whole before seasons had rows of their own: that request asks for each.
  const whole = await openRequestFor(db, tmdbId, 'tv')
  return (details.seasons ?? []).map((s) => s.seasonNumber).filter((n) => n > 0).sort((a, b) => a - b).map((n) => {
    const asking = open.get(n) ?? whole
    const state: SeasonState = showInPlex || theirs.get(n) === OverseerrMediaStatus.AVAILABLE ? 'in-plex'
      : asking ? (asking.user_id === viewer.id ? 'mine' : 'requested')
        : ON_ITS_WAY.has(theirs.get(n) ?? 0) ? 'processing' : 'free'
    // A person sees their own request's page; an admin sees anyone's.
    const requestId = asking && (asking.user_id === viewer.id || viewer.role === 'ADMIN') ? asking.id : null
    return { n, state, label: LABEL[state], requestId, requestStatus: asking?.status ?? null }
  })
}

export const freeSeasons = (choices: SeasonChoice[]): number[] => choices.filter((c) => c.state === 'free').map((c) => c.n)
