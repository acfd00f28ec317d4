// The events overseerr emits (API 1.1 event types), so the notifications plugin can turn
// them into messages without knowing this plugin. Each is emitted in the transaction that
// changed the request.
import type { EventType } from 'medianest/plugin-api'
import { PROBLEM_EVENTS, REQUEST_EVENTS, type ProblemEventPayload, type RequestEventPayload } from './api.ts'

const what = (p: Partial<RequestEventPayload>) => `${String(p.title ?? 'A title')}${p.mediaType === 'tv' ? ' (TV show)' : ''}`
const link = (p: Partial<RequestEventPayload>) => (typeof p.requestId === 'string' && /^[0-9a-f-]{36}$/i.test(p.requestId) ? `/overseerr/requests/${p.requestId}` : '/overseerr/requests')
const because = (p: Partial<RequestEventPayload>) => (p.reason ? ` Reason: ${String(p.reason)}` : '')

export const requestEventTypes: EventType[] = [
  {
    // The admins are the ones who act on a new request (approve it), or like to know of it.
    event: REQUEST_EVENTS.created, title: 'New request', audience: 'admins',
    describe: (p: Partial<RequestEventPayload>) => ({
      title: p.needsApproval ? 'A request waits for approval' : 'New request',
      message: `${String(p.userName ?? 'Someone')} requested ${what(p)}${p.needsApproval ? '; it waits for your approval.' : '; it was approved automatically.'}`,
      link: p.needsApproval ? '/admin/overseerr' : link(p),
    }),
  },
  {
    event: REQUEST_EVENTS.approved, title: 'Request approved', audience: 'subject',
    describe: (p: Partial<RequestEventPayload>) => ({ title: 'Request approved', message: `Your request for ${what(p)} was approved and sent to Overseerr.`, link: link(p) }),
  },
  {
    event: REQUEST_EVENTS.rejected, title: 'Request rejected', audience: 'subject',
    describe: (p: Partial<RequestEventPayload>) => ({ title: 'Request rejected', message: `Your request for ${what(p)} was rejected.${because(p)}`, link: link(p) }),
  },
  {
    event: REQUEST_EVENTS.completed, title: 'Available in Plex', audience: 'subject',
    describe: (p: Partial<RequestEventPayload>) => ({ title: 'Available in Plex', message: `${what(p)}, which you requested, is now available in Plex.`, link: link(p) }),
  },
  {
    // The admins: the queue they work through has one request fewer.
    event: REQUEST_EVENTS.withdrawn, title: 'Request withdrawn', audience: 'admins',
    describe: (p: Partial<RequestEventPayload>) => ({ title: 'Request withdrawn', message: `${String(p.userName ?? 'Someone')} withdrew their request for ${what(p)}.`, link: link(p) }),
  },
  {
    event: REQUEST_EVENTS.closed, title: 'Request closed', audience: 'subject',
    describe: (p: Partial<RequestEventPayload>) => ({ title: 'Request closed', message: `An admin closed your request for ${what(p)}.${because(p)}`, link: link(p) }),
  },
  {
    event: REQUEST_EVENTS.failed, title: 'Request failed', audience: 'subject',
    describe: (p: Partial<RequestEventPayload>) => ({ title: 'Request failed', message: `Your request for ${what(p)} failed. You can try again from its page.${because(p)}`, link: link(p) }),
  },
]

const PROBLEM_KIND: Record<string, string> = { video: 'a video problem', audio: 'an audio problem', subtitles: 'a subtitles problem', other: 'a problem' }
const problemWhat = (p: Partial<ProblemEventPayload>) => {
  const where = typeof p.season === 'number' ? ` (season ${p.season}${typeof p.episode === 'number' ? `, episode ${p.episode}` : ''})` : ''
  return `${PROBLEM_KIND[String(p.problemType)] ?? 'a problem'} with ${String(p.title ?? 'a title')}${where}`
}
const titleLink = (p: Partial<ProblemEventPayload>) => (p.mediaType === 'movie' || p.mediaType === 'tv') && typeof p.tmdbId === 'number' ? `/overseerr/${p.mediaType}/${p.tmdbId}` : '/overseerr'

export const problemEventTypes: EventType[] = [
  {
    event: PROBLEM_EVENTS.reported, title: 'Problem reported', audience: 'admins',
    describe: (p: Partial<ProblemEventPayload>) => ({ title: 'Problem reported', message: `${String(p.userName ?? 'Someone')} reported ${problemWhat(p)}.`, link: '/admin/overseerr/problems' }),
  },
  {
    event: PROBLEM_EVENTS.resolved, title: 'Problem resolved', audience: 'subject',
    describe: (p: Partial<ProblemEventPayload>) => ({ title: 'Problem resolved', message: `You reported ${problemWhat(p)}: it was marked resolved${p.resolvedBy ? ` by ${String(p.resolvedBy)}` : ''}.`, link: titleLink(p) }),
  },
]
