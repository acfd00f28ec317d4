// A media request's statuses (the brief's lifecycle), in words and as badges.
export const STATUSES = ['pending', 'approved', 'rejected', 'in_progress', 'downloading', 'processing', 'completed', 'failed', 'withdrawn', 'closed'] as const
export type RequestStatus = (typeof STATUSES)[number]

/** While a request is in one of these, no other request for the same title may open (the partial unique index). */
export const OPEN_STATUSES: readonly RequestStatus[] = ['pending', 'approved', 'in_progress', 'downloading', 'processing']
/** Sent to Overseerr and followed by the webhook and the poll. */
export const SENT_STATUSES: readonly RequestStatus[] = ['in_progress', 'downloading', 'processing']

export const STATUS_LABEL: Record<RequestStatus, string> = {
  pending: 'Waiting for approval',
  approved: 'Approved, sending',
  rejected: 'Rejected',
  in_progress: 'Requested in Overseerr',
  downloading: 'Downloading',
  processing: 'Processing',
  completed: 'Available in Plex',
  failed: 'Failed',
  withdrawn: 'Withdrawn',
  closed: 'Closed by an admin',
}
/** The badge's colour class; the label carries the meaning (never colour alone). */
export const STATUS_TONE: Record<RequestStatus, '' | 'ok' | 'bad' | 'warn'> = {
  pending: 'warn', approved: '', rejected: 'bad', in_progress: '', downloading: '', processing: '', completed: 'ok', failed: 'bad', withdrawn: '', closed: '',
}

export const MEDIA_TYPES = ['movie', 'tv'] as const
export type MediaType = (typeof MEDIA_TYPES)[number]
export const MEDIA_TYPE_LABEL: Record<MediaType, string> = { movie: 'Movie', tv: 'TV show' }
