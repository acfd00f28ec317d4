// Overseerr's state of a request → our status: the one mapping table (also in the README).
// Overseerr tells three things: the request's status (pending/approved/declined/failed,
// Seerr adds completed), the media's status (unknown … available) and the download queue
// Radarr/Sonarr report for the media. Our lifecycle only moves forward through the sent
// statuses, so an old or replayed delivery can never take a request back.
import type { RequestStatus } from './statuses.ts'

export const OverseerrRequestStatus = { PENDING: 1, APPROVED: 2, DECLINED: 3, FAILED: 4, COMPLETED: 5 } as const
export const OverseerrMediaStatus = { UNKNOWN: 1, PENDING: 2, PROCESSING: 3, PARTIALLY_AVAILABLE: 4, AVAILABLE: 5 } as const

export interface OverseerrState {
  requestStatus: number
  mediaStatus: number
  /** Radarr/Sonarr queue items for the media; `status` as Overseerr reports it ('downloading', 'completed', …). */
  downloads: Array<{ status: string; sizeLeft?: number }>
}

export interface Mapped { status: RequestStatus; why: string }

/**
 * | request status | media status | downloads | → ours |
 * |---|---|---|---|
 * | 3 declined | any | any | rejected |
 * | 4 failed | any | any | failed |
 * | 5 completed (Seerr) | any | any | completed |
 * | 1 pending, 2 approved | 5 available | any | completed |
 * | 1 pending, 2 approved | 4 partially available | any | processing |
 * | 1 pending, 2 approved | 3 processing | one still downloading | downloading |
 * | 1 pending, 2 approved | 3 processing | all finished (importing) | processing |
 * | 1 pending, 2 approved | 3 processing | none | in_progress |
 * | 1 pending, 2 approved | 1 unknown, 2 pending, other | any | in_progress |
 * | other number | any | any | in_progress (logged as unknown) |
 */
export function mapOverseerrState(s: OverseerrState): Mapped & { unknown?: string } {
  const R = OverseerrRequestStatus
  const M = OverseerrMediaStatus
  if (s.requestStatus === R.DECLINED) return { status: 'rejected', why: 'declined in Overseerr' }
  if (s.requestStatus === R.FAILED) return { status: 'failed', why: 'Overseerr reports the request failed' }
  if (s.requestStatus === R.COMPLETED) return { status: 'completed', why: 'Overseerr marked the request completed' }
  const unknownRequest = s.requestStatus !== R.PENDING && s.requestStatus !== R.APPROVED
  if (unknownRequest) return { status: 'in_progress', why: `Overseerr request status ${s.requestStatus} is unknown`, unknown: `request status ${s.requestStatus}` }
  if (s.mediaStatus === M.AVAILABLE) return { status: 'completed', why: 'available in Plex' }
  if (s.mediaStatus === M.PARTIALLY_AVAILABLE) return { status: 'processing', why: 'partly available in Plex' }
  if (s.mediaStatus === M.PROCESSING) {
    if (!s.downloads.length) return { status: 'in_progress', why: 'waiting for Radarr/Sonarr to find a release' }
    const busy = s.downloads.some((d) => d.status !== 'completed' && (d.sizeLeft ?? 1) > 0)
    return busy ? { status: 'downloading', why: 'downloading' } : { status: 'processing', why: 'downloaded, being imported' }
  }
  if (s.mediaStatus === M.UNKNOWN || s.mediaStatus === M.PENDING) return { status: 'in_progress', why: 'requested in Overseerr' }
  return { status: 'in_progress', why: `Overseerr media status ${s.mediaStatus} is unknown`, unknown: `media status ${s.mediaStatus}` }
}

const RANK: Partial<Record<RequestStatus, number>> = { in_progress: 1, downloading: 2, processing: 3, completed: 4 }

/**
 * Whether a sync may move a sent request from `current` to `next`: forward only through
 * the sent statuses, or out to an end (rejected, failed). Nothing leaves an end this way:
 * only a person's retry does.
 */
export function syncMayMove(current: RequestStatus, next: RequestStatus): boolean {
  const from = RANK[current]
  if (from === undefined || current === 'completed') return false
  if (next === 'rejected' || next === 'failed') return true
  const to = RANK[next]
  return to !== undefined && to > from
}
