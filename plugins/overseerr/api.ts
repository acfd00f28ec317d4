// What other plugins may import from overseerr: the events it emits and their payload.
export const REQUEST_EVENTS = {
  created: 'overseerr.request.created',
  approved: 'overseerr.request.approved',
  rejected: 'overseerr.request.rejected',
  completed: 'overseerr.request.completed',
  failed: 'overseerr.request.failed',
  withdrawn: 'overseerr.request.withdrawn',
  closed: 'overseerr.request.closed',
} as const

/** Every overseerr.request.* payload. `userId` is the requester (the 'subject'). */
export interface RequestEventPayload {
  requestId: string
  userId: string
  userName: string
  title: string
  mediaType: 'movie' | 'tv'
  tmdbId: number | null
  status: string
  /** created: whether it waits for an admin's approval. */
  needsApproval?: boolean
  /** rejected / failed / closed: the reason given, if any. */
  reason?: string | null
  [key: string]: unknown
}

export const PROBLEM_EVENTS = {
  reported: 'overseerr.problem.reported',
  resolved: 'overseerr.problem.resolved',
} as const

/** Every overseerr.problem.* payload. `userId` is the person who reported it (the 'subject'). */
export interface ProblemEventPayload {
  problemId: string
  userId: string
  userName: string
  title: string
  mediaType: 'movie' | 'tv'
  tmdbId: number
  /** video, audio, subtitles or other. */
  problemType: string
  season: number | null
  episode: number | null
  /** resolved: who resolved it (an admin's name, or Overseerr). */
  resolvedBy?: string
  [key: string]: unknown
}
