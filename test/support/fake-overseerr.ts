// A loopback Overseerr (API v1) for the overseerr plugin's tests. It speaks
// CONTRACTS.md "Overseerr API v1" down to the quirks, because a fake kinder than the
// real service hides bugs:
// - the gate runs in Overseerr's order: unknown route 404, then a missing key 401
//   (express-openapi-validator's security check), then query validation 400 (unknown
//   parameters; reserved characters left raw in a value), then a wrong key 403 (the
//   route's isAuthenticated). So a wrong key with a bad query still answers 400.
// - the key acts as user 1 (the admin); `X-API-User` acts as another user, and an
//   unknown one is 403, as Overseerr finds no user and refuses.
// - a POST answer shows `media.status` 2 even when auto-approved; the stored status
//   turns 3 right after the answer is sent, so only a client that polls sees it.
// - a movie duplicate is 409, a tv duplicate 202 "No seasons available to request".
// - problem reports (server/routes/issue.ts): POST /issue answers 200, not 201; a
//   missing issue is 500 "Issue not found." on GET and on a status change (the routes'
//   catch-all), but 404 on DELETE, and a non-owner's DELETE is 401, not 403. The list's
//   documented `filter` defaults to `open` (the validator fills the spec's default), its
//   documented `requestedBy` is accepted and ignored (the route reads `createdBy`, which the
//   validator refuses as unknown). Every user may report; only admins see others' reports.
//   Details' `mediaInfo` carries the title's `issues`, everyone's.
// Tests drive it through plain methods (titles, users, request stages, availability,
// failure modes) and read `requests` to assert what crossed the wire.
import http from 'node:http'
import crypto from 'node:crypto'
import { listenOnLoopback, stopAtOnce, type RecordedRequest } from './fake-server.ts'

export const RequestStatus = { PENDING: 1, APPROVED: 2, DECLINED: 3, FAILED: 4, COMPLETED: 5 } as const
export const MediaStatus = { UNKNOWN: 1, PENDING: 2, PROCESSING: 3, PARTIALLY_AVAILABLE: 4, AVAILABLE: 5 } as const
const MEDIA_STATUS_NAME: Record<number, string> = { 1: 'UNKNOWN', 2: 'PENDING', 3: 'PROCESSING', 4: 'PARTIALLY_AVAILABLE', 5: 'AVAILABLE' }

export type MediaType = 'movie' | 'tv'
export type RequestStage = 'pending' | 'approved' | 'processing' | 'downloading' | 'partially-available' | 'available' | 'declined' | 'failed'
export type IssueWebhookType = 'ISSUE_CREATED' | 'ISSUE_COMMENT' | 'ISSUE_RESOLVED' | 'ISSUE_REOPENED'
export type WebhookType = 'MEDIA_PENDING' | 'MEDIA_APPROVED' | 'MEDIA_AUTO_APPROVED' | 'MEDIA_AVAILABLE' | 'MEDIA_DECLINED' | 'MEDIA_FAILED' | 'TEST_NOTIFICATION' | IssueWebhookType
const ISSUE_WEBHOOK_TYPES: readonly WebhookType[] = ['ISSUE_CREATED', 'ISSUE_COMMENT', 'ISSUE_RESOLVED', 'ISSUE_REOPENED']
const isIssueWebhook = (type: WebhookType): type is IssueWebhookType => ISSUE_WEBHOOK_TYPES.includes(type)

export const IssueType = { VIDEO: 1, AUDIO: 2, SUBTITLES: 3, OTHER: 4 } as const
export const IssueStatus = { OPEN: 1, RESOLVED: 2 } as const
// The webhook's issue_type and issue_status are the enums' key names; its `event` uses
// IssueTypeName, which says "Subtitle" (singular).
const ISSUE_TYPE_KEY: Record<number, string> = { 1: 'VIDEO', 2: 'AUDIO', 3: 'SUBTITLES', 4: 'OTHER' }
const ISSUE_TYPE_NAME: Record<number, string> = { 1: 'Video', 2: 'Audio', 3: 'Subtitle', 4: 'Other' }
const ISSUE_STATUS_KEY: Record<number, string> = { 1: 'OPEN', 2: 'RESOLVED' }

// TMDB's genre ids (its movie and tv genre lists), so `genres` carries the ids TMDB would.
const GENRE_IDS: Record<string, number> = {
  Action: 28, Adventure: 12, Animation: 16, Comedy: 35, Crime: 80, Documentary: 99, Drama: 18, Family: 10751, Fantasy: 14, History: 36,
  Horror: 27, Music: 10402, Mystery: 9648, Romance: 10749, 'Science Fiction': 878, 'TV Movie': 10770, Thriller: 53, War: 10752, Western: 37,
  'Action & Adventure': 10759, Kids: 10762, News: 10763, Reality: 10764, 'Sci-Fi & Fantasy': 10765, Soap: 10766, Talk: 10767, 'War & Politics': 10768,
}

export interface TitleInput {
  mediaType: MediaType
  tmdbId: number
  title: string
  year: number
  /** TMDB poster path, e.g. `/x.jpg`. */
  poster?: string
  overview?: string
  tvdbId?: number
  /** tv only; defaults to one season of ten episodes. */
  seasons?: Array<{ seasonNumber: number; episodeCount: number }>
  /** A media status number; creates the media row Overseerr keeps once it knows a title. */
  availability?: number
  /** TMDB backdrop path (null: TMDB has none); defaults to `/<tmdbId>-backdrop.jpg`. */
  backdrop?: string | null
  /** Minutes: a movie's runtime (default 120), a show's episode run time (default 45). */
  runtime?: number
  /** TMDB genre names, e.g. 'Drama' or 'Sci-Fi & Fantasy'; defaults to ['Drama']. */
  genres?: string[]
}

export interface UserInput {
  id?: number
  email: string
  plexId?: number | null
  plexUsername?: string | null
  displayName?: string
  /** Admins hold MANAGE_USERS and MANAGE_REQUESTS, and their requests are auto-approved. */
  admin?: boolean
  autoApprove?: boolean
}

export interface DownloadItem {
  externalId: number
  downloadId: string
  mediaType: MediaType
  title: string
  size: number
  sizeLeft: number
  status: string
  timeLeft: string
  estimatedCompletionTime: string
}

/** A problem report as Overseerr stores it; `message` is its first comment, `createdBy` a user id. */
export interface IssueSnapshot {
  id: number
  issueType: number
  status: number
  message: string
  /** Overseerr's media id (mediaInfo.id), not the TMDB id. */
  mediaId: number
  problemSeason: number
  problemEpisode: number
  createdBy: number
}

export type { RecordedRequest }

export interface FakeOverseerr {
  url: string
  apiKey: string
  /** Every request received, in order (also those answered by a failure mode). */
  requests: RecordedRequest[]
  close(): Promise<void>
  addTitle(title: TitleInput): void
  /** Adds a user and returns its id. User 1 (the admin who owns the key) always exists. */
  addUser(user: UserInput): number
  /** Moves a request (and its media) to a stage, as Overseerr, Radarr/Sonarr and Plex would. */
  moveRequest(requestId: number, stage: RequestStage, downloads?: Array<Partial<DownloadItem>>): void
  /** Sets a title's media status to any number, including ones this Overseerr has no name for. */
  setAvailability(mediaType: MediaType, tmdbId: number, status: number): void
  /** Sets some seasons of a show to a media status (e.g. one season reached Plex before the others); the show becomes partly or wholly available to match. */
  setSeasonAvailability(tmdbId: number, seasons: number[], status: number): void
  /** The webhook agent's default template, filled from the fake's state. */
  webhookPayload(type: WebhookType, requestId?: number): Record<string, unknown>
  /** The default template for an issue notification, filled as the webhook agent fills it (ISSUE_COMMENT: the latest comment). */
  issueWebhookPayload(type: IssueWebhookType, issueId: number): Record<string, unknown>
  /** Every problem report, oldest first (a copy). */
  issues(): IssueSnapshot[]
  /** Resolves or reopens a report as an admin does in Overseerr's UI (modifiedBy: user 1). */
  setIssueStatus(issueId: number, status: 'open' | 'resolved'): void
  /** Adds a comment as this user (default user 1) would in Overseerr's UI: what ISSUE_COMMENT announces. */
  commentOnIssue(issueId: number, message: string, userId?: number): void
  /** POSTs a webhook as Overseerr's agent does; `payload` may be any (admin-edited) JSON, or a string sent as is. */
  sendWebhook(url: string, options: { authorization?: string; payload: unknown }): Promise<{ status: number; body: string }>
  /** Refuses connections until `recover()`. */
  /** Forgets every request, problem report and media state and numbers new ones from 1 again, as a reinstalled Overseerr does. */
  reset(): void
  down(): Promise<void>
  /** Accepts requests and never answers (close() still ends them), or answers after `delayMs`. */
  slow(delayMs?: number): void
  /** Answers every request with this status and `{ "message": … }`. */
  status(code: number, message?: string): void
  /** Answers requests to this one path with this status (null: answer it again), e.g. one discovery row failing. */
  failPath(path: string, code: number | null): void
  /** Requests to this one path are accepted and never answered (true), or answered again (false: the hung ones are cut). */
  hangPath(path: string, hang: boolean): void
  /** Answers 200 application/json with a body that is not JSON. */
  garbage(): void
  /** Back to normal: listening again (same port) and answering. */
  recover(): Promise<void>
}

interface Media {
  id: number
  mediaType: MediaType
  tmdbId: number
  tvdbId: number | null
  status: number
  status4k: number
  downloadStatus: DownloadItem[]
  /** tv: each season's own media status (a show is PARTIALLY_AVAILABLE while only some are in Plex). */
  seasons: Array<{ seasonNumber: number; status: number }>
  createdAt: string
  updatedAt: string
}

interface Title extends Required<Omit<TitleInput, 'availability' | 'tvdbId'>> { tvdbId: number | null; media: Media | null }

interface User { id: number; email: string; plexId: number | null; plexUsername: string | null; displayName: string; admin: boolean; autoApprove: boolean; createdAt: string }

interface IssueComment { id: number; user: User; message: string; createdAt: string; updatedAt: string }

interface Issue {
  id: number
  issueType: number
  status: number
  problemSeason: number
  problemEpisode: number
  title: Title
  createdBy: User
  modifiedBy: User | null
  /** Oldest first; the first one is the report's own message. */
  comments: IssueComment[]
  createdAt: string
  updatedAt: string
}

interface Request {
  id: number
  status: number
  type: MediaType
  is4k: boolean
  title: Title
  requestedBy: User
  modifiedBy: User | null
  seasons: number[]
  createdAt: string
  updatedAt: string
}

type Failure = { kind: 'none' } | { kind: 'slow'; delayMs: number } | { kind: 'garbage' } | { kind: 'status'; code: number; message: string }

class HttpAnswer {
  constructor(readonly status: number, readonly body: unknown) {}
}

const FORBIDDEN = { status: 403, error: 'You do not have permission to access this endpoint' }
// RFC 3986 reserved characters; & and # never reach a value.
const RESERVED_RAW = /[:/?[\]@!$'()*+,;=]/

const now = () => new Date().toISOString()

export async function startFakeOverseerr(options: { apiKey?: string; version?: string; seerr?: boolean } = {}): Promise<FakeOverseerr> {
  const apiKey = options.apiKey ?? crypto.randomBytes(24).toString('base64')
  const version = options.version ?? '1.33.2'
  const requests: RecordedRequest[] = []
  const titles = new Map<string, Title>()
  const users = new Map<number, User>()
  const mediaRequests = new Map<number, Request>()
  const reportedIssues = new Map<number, Issue>()
  let nextMediaId = 1
  let nextRequestId = 1
  let nextIssueId = 1
  let nextCommentId = 1
  let nextUserId = 2
  let failure: Failure = { kind: 'none' }
  const failingPaths = new Map<string, number>()
  const hangingPaths = new Set<string>()
  let isDown = false

  users.set(1, { id: 1, email: 'admin@example.com', plexId: 1000, plexUsername: 'admin', displayName: 'admin', admin: true, autoApprove: true, createdAt: now() })

  const titleKey = (type: MediaType, tmdbId: number) => `${type}:${tmdbId}`

  function mediaOf(title: Title): Media {
    title.media ??= {
      id: nextMediaId++, mediaType: title.mediaType, tmdbId: title.tmdbId, tvdbId: title.tvdbId, status: MediaStatus.UNKNOWN,
      status4k: MediaStatus.UNKNOWN, downloadStatus: [], seasons: [], createdAt: now(), updatedAt: now(),
    }
    return title.media
  }

  function setMediaStatus(media: Media, status: number): void {
    media.status = status
    media.updatedAt = now()
    if (status !== MediaStatus.PROCESSING) media.downloadStatus = []
  }

  const requestsFor = (title: Title) => [...mediaRequests.values()].filter((r) => r.title === title)
  const active = (r: Request) => r.status !== RequestStatus.DECLINED

  // Users without MANAGE_USERS see others without email and plexId (User.filter()).
  function userJson(user: User, viewer: User) {
    const full = viewer.admin || viewer.id === user.id
    return {
      id: user.id, ...(full ? { email: user.email, plexId: user.plexId } : {}), plexUsername: user.plexUsername, username: null,
      displayName: user.displayName, userType: 1, permissions: user.admin ? 2 : 32, avatar: `/os_logo_square.png`,
      requestCount: [...mediaRequests.values()].filter((r) => r.requestedBy === user).length, createdAt: user.createdAt, updatedAt: user.createdAt,
    }
  }

  const mediaJson = (media: Media) => ({ ...media, downloadStatus4k: [] })

  /** The default template's `media` block: every value a string, as the agent's replace() leaves it. */
  function webhookMedia(title: Title) {
    const media = mediaOf(title)
    return {
      media_type: title.mediaType, tmdbId: String(title.tmdbId), tvdbId: title.tvdbId === null ? '' : String(title.tvdbId),
      status: MEDIA_STATUS_NAME[media.status] ?? '', status4k: MEDIA_STATUS_NAME[media.status4k] ?? '',
    }
  }

  function requestJson(r: Request, viewer: User) {
    return {
      id: r.id, status: r.status, createdAt: r.createdAt, updatedAt: r.updatedAt, type: r.type, is4k: r.is4k,
      media: mediaJson(mediaOf(r.title)), requestedBy: userJson(r.requestedBy, viewer),
      modifiedBy: r.modifiedBy ? userJson(r.modifiedBy, viewer) : null,
      seasons: r.seasons.map((seasonNumber, i) => ({ id: r.id * 100 + i, seasonNumber, status: r.status })),
    }
  }

  function resultJson(title: Title) {
    const common = { id: title.tmdbId, mediaType: title.mediaType, posterPath: title.poster, overview: title.overview }
    const named = title.mediaType === 'movie'
      ? { title: title.title, originalTitle: title.title, releaseDate: `${title.year}-01-01` }
      : { name: title.title, originalName: title.title, firstAirDate: `${title.year}-01-01` }
    return { ...common, ...named, ...(title.media ? { mediaInfo: mediaJson(title.media) } : {}) }
  }

  function detailsJson(title: Title, viewer: User) {
    const genres = title.genres.map((name) => ({ id: GENRE_IDS[name], name }))
    const kind = title.mediaType === 'movie'
      ? { runtime: title.runtime }
      : {
          episodeRunTime: [title.runtime],
          numberOfSeasons: regularSeasons(title).length,
          seasons: title.seasons.map((s) => ({
            id: title.tmdbId * 100 + s.seasonNumber, seasonNumber: s.seasonNumber, episodeCount: s.episodeCount,
            name: s.seasonNumber === 0 ? 'Specials' : `Season ${s.seasonNumber}`, overview: '',
            airDate: `${title.year + Math.max(0, s.seasonNumber - 1)}-01-01`, posterPath: `/${title.tmdbId}-season-${s.seasonNumber}.jpg`,
          })),
        }
    // Media.getMedia() loads the title's requests and issues (everyone's) with it.
    const mediaInfo = title.media
      ? {
          mediaInfo: {
            ...mediaJson(title.media), requests: requestsFor(title).map((r) => requestJson(r, viewer)),
            issues: [...reportedIssues.values()].filter((i) => i.title === title).map((i) => issueJson(i, viewer, 'full')),
          },
        }
      : {}
    return { ...resultJson(title), backdropPath: title.backdrop, genres, ...kind, ...mediaInfo }
  }

  /**
   * Which relations an answer carries follows how the real route loads the issue: `created`
   * is the entity just saved (no modifiedBy), `list` and `one` come from query builders
   * (no eager relations: media without seasons; the list has no comments, one issue no
   * modifiedBy), `full` is a repository find (every eager relation).
   */
  function issueJson(issue: Issue, viewer: User, view: 'created' | 'list' | 'one' | 'full') {
    const media = mediaJson(mediaOf(issue.title))
    const { seasons: _seasons, ...bareMedia } = media
    const queried = view === 'list' || view === 'one'
    return {
      id: issue.id, issueType: issue.issueType, status: issue.status, problemSeason: issue.problemSeason, problemEpisode: issue.problemEpisode,
      createdAt: issue.createdAt, updatedAt: issue.updatedAt, media: queried ? bareMedia : media, createdBy: userJson(issue.createdBy, viewer),
      ...(view === 'list' || view === 'full' ? { modifiedBy: issue.modifiedBy ? userJson(issue.modifiedBy, viewer) : null } : {}),
      ...(view === 'list' ? {} : {
        comments: issue.comments.map((c) => ({ id: c.id, message: c.message, user: userJson(c.user, viewer), createdAt: c.createdAt, updatedAt: c.updatedAt })),
      }),
    }
  }

  function addComment(issue: Issue, user: User, message: string): void {
    issue.comments.push({ id: nextCommentId++, user, message, createdAt: now(), updatedAt: now() })
  }

  function changeIssueStatus(issue: Issue, status: 'open' | 'resolved', by: User): void {
    issue.status = status === 'open' ? IssueStatus.OPEN : IssueStatus.RESOLVED
    issue.modifiedBy = by
    issue.updatedAt = now()
  }

  function pageInfo(total: number, take: number, skip: number) {
    return { pages: Math.ceil(total / take), pageSize: take, results: total, page: Math.floor(skip / take) + 1 }
  }

  // --- the gate -------------------------------------------------------------------

  interface Route { method: string; pattern: RegExp; public?: boolean; query?: Record<string, 'number' | 'string' | string[]>; required?: string[] }
  const ROUTES: Route[] = [
    { method: 'GET', pattern: /^\/status$/, public: true },
    { method: 'GET', pattern: /^\/settings\/public$/, public: true },
    { method: 'GET', pattern: /^\/auth\/me$/ },
    { method: 'GET', pattern: /^\/search$/, query: { query: 'string', page: 'number', language: 'string' }, required: ['query'] },
    { method: 'GET', pattern: /^\/movie\/([^/]+)$/, query: { language: 'string' } },
    { method: 'GET', pattern: /^\/tv\/([^/]+)$/, query: { language: 'string' } },
    { method: 'GET', pattern: /^\/discover\/trending$/, query: { page: 'number', language: 'string' } },
    { method: 'GET', pattern: /^\/discover\/(movies|tv)$/, query: { page: 'number', language: 'string', sortBy: 'string', genre: 'string' } },
    { method: 'GET', pattern: /^\/discover\/(movies|tv)\/upcoming$/, query: { page: 'number', language: 'string' } },
    { method: 'POST', pattern: /^\/request$/ },
    {
      method: 'GET', pattern: /^\/request$/,
      query: { take: 'number', skip: 'number', filter: ['all', 'approved', 'available', 'pending', 'processing', 'unavailable', 'failed'], sort: ['added', 'modified'] },
    },
    { method: 'GET', pattern: /^\/request\/([^/]+)$/ },
    { method: 'DELETE', pattern: /^\/request\/([^/]+)$/ },
    { method: 'POST', pattern: /^\/request\/([^/]+)\/(approve|decline)$/ },
    { method: 'GET', pattern: /^\/user$/, query: { take: 'number', skip: 'number' } },
    {
      method: 'GET', pattern: /^\/issue$/,
      query: { take: 'number', skip: 'number', sort: ['added', 'modified'], filter: ['all', 'open', 'resolved'], requestedBy: 'number' },
    },
    { method: 'POST', pattern: /^\/issue$/ },
    // Before /issue/{issueId}, as Overseerr's router has it.
    { method: 'GET', pattern: /^\/issue\/count$/ },
    { method: 'GET', pattern: /^\/issue\/([^/]+)$/ },
    { method: 'DELETE', pattern: /^\/issue\/([^/]+)$/ },
    { method: 'POST', pattern: /^\/issue\/([^/]+)\/comment$/ },
    { method: 'POST', pattern: /^\/issue\/([^/]+)\/([^/]+)$/ },
  ]

  function validateQuery(route: Route, raw: string): Map<string, string> {
    const values = new Map<string, string>()
    const bad = (message: string) => new HttpAnswer(400, { message, errors: [{ path: '.query', message }] })
    const decode = (text: string) => {
      try { return decodeURIComponent(text) } catch { throw bad(`'${text}' is not valid percent-encoding`) }
    }
    for (const pair of raw ? raw.split('&') : []) {
      const at = pair.indexOf('=')
      const name = decode(at < 0 ? pair : pair.slice(0, at))
      const rawValue = at < 0 ? '' : pair.slice(at + 1)
      const type = route.query?.[name]
      if (!type) throw bad(`Unknown query parameter '${name}'`)
      if (RESERVED_RAW.test(rawValue)) throw bad(`Parameter '${name}' must be url encoded. Its value may not contain reserved characters.`)
      const value = decode(rawValue)
      if (type === 'number' && !/^\d+$/.test(value)) throw bad(`request/query/${name} must be number`)
      if (Array.isArray(type) && !type.includes(value)) throw bad(`request/query/${name} must be equal to one of the allowed values: ${type.join(', ')}`)
      values.set(name, value)
    }
    for (const name of route.required ?? []) if (!values.has(name)) throw bad(`request/query must have required property '${name}'`)
    return values
  }

  function actingUser(headers: http.IncomingHttpHeaders): User {
    if (headers['x-api-key'] !== apiKey) throw new HttpAnswer(403, FORBIDDEN)
    const onBehalf = headers['x-api-user']
    const user = users.get(onBehalf === undefined ? 1 : Number(onBehalf))
    if (!user) throw new HttpAnswer(403, FORBIDDEN)
    return user
  }

  const numericParam = (value: string, name: string) => {
    if (!/^\d+$/.test(value)) throw new HttpAnswer(400, { message: `request/params/${name} must be number` })
    return Number(value)
  }

  // --- the routes -----------------------------------------------------------------

  function route(method: string, path: string, rawQuery: string, headers: http.IncomingHttpHeaders, body: string, afterAnswer: Array<() => void>): HttpAnswer {
    if (!path.startsWith('/api/v1/')) throw new HttpAnswer(404, { message: 'not found' })
    const apiPath = path.slice('/api/v1'.length)
    const found = ROUTES.map((r) => ({ r, m: r.method === method ? r.pattern.exec(apiPath) : null })).find((x) => x.m)
    if (!found) throw new HttpAnswer(404, { message: 'not found', errors: [{ path, message: 'not found' }] })
    const { r, m } = found as { r: Route; m: RegExpExecArray }
    if (!r.public && !headers['x-api-key']) throw new HttpAnswer(401, { message: "cookie 'connect.sid' required" })
    const query = validateQuery(r, rawQuery)

    if (apiPath === '/status') return new HttpAnswer(200, { version, commitTag: `v${version}`, updateAvailable: false, commitsBehind: 0, restartRequired: false })
    if (apiPath === '/settings/public') return new HttpAnswer(200, { initialized: true, applicationTitle: 'Overseerr', applicationUrl: '', localLogin: true, movie4kEnabled: false, series4kEnabled: false })

    const viewer = actingUser(headers)
    if (apiPath === '/auth/me') return new HttpAnswer(200, userJson(viewer, viewer))

    if (apiPath === '/search') {
      const wanted = query.get('query')!.toLowerCase()
      const page = Number(query.get('page') ?? 1)
      const all = [...titles.values()].filter((t) => t.title.toLowerCase().includes(wanted))
      return new HttpAnswer(200, {
        page, totalPages: Math.max(1, Math.ceil(all.length / 20)), totalResults: all.length,
        results: all.slice((page - 1) * 20, page * 20).map(resultJson),
      })
    }

    // Discovery: the fake's own titles, 20 a page; trending mixes in a person, as TMDB does.
    if (apiPath.startsWith('/discover/')) {
      const page = Number(query.get('page') ?? 1)
      const type = /^\/discover\/(movies|tv)/.exec(apiPath)?.[1]
      const upcoming = apiPath.endsWith('/upcoming')
      const all: Array<Record<string, unknown>> = [...titles.values()]
        .filter((t) => !type || t.mediaType === (type === 'movies' ? 'movie' : 'tv'))
        .filter((t) => !upcoming || t.year >= new Date().getUTCFullYear())
        .map(resultJson)
      if (!type) all.splice(1, 0, { id: 31, mediaType: 'person', name: 'Tom Hanks', profilePath: '/person.jpg', knownFor: [] })
      return new HttpAnswer(200, { page, totalPages: Math.max(1, Math.ceil(all.length / 20)), totalResults: all.length, results: all.slice((page - 1) * 20, page * 20) })
    }

    if (/^\/(movie|tv)\//.test(apiPath)) {
      const type: MediaType = apiPath.startsWith('/movie') ? 'movie' : 'tv'
      const title = titles.get(titleKey(type, numericParam(m[1], type === 'movie' ? 'movieId' : 'tvId')))
      if (!title) throw new HttpAnswer(404, { message: type === 'movie' ? 'Movie not found.' : 'TV show not found.' })
      return new HttpAnswer(200, detailsJson(title, viewer))
    }

    if (apiPath === '/request' && method === 'POST') return createRequest(viewer, body, afterAnswer)

    if (apiPath === '/request') {
      const take = Number(query.get('take') ?? 10)
      const skip = Number(query.get('skip') ?? 0)
      const filter = query.get('filter') ?? 'all'
      const completed = options.seerr ? [RequestStatus.COMPLETED] : []
      const statuses: number[] = {
        approved: [RequestStatus.APPROVED, ...completed], processing: [RequestStatus.APPROVED], available: [RequestStatus.APPROVED, ...completed],
        pending: [RequestStatus.PENDING], unavailable: [RequestStatus.PENDING, RequestStatus.APPROVED], failed: [RequestStatus.FAILED],
      }[filter] ?? [RequestStatus.PENDING, RequestStatus.APPROVED, RequestStatus.DECLINED, RequestStatus.FAILED, ...completed]
      const mediaStatuses: number[] | null = filter === 'available' ? [MediaStatus.AVAILABLE]
        : filter === 'processing' || filter === 'unavailable' ? [MediaStatus.UNKNOWN, MediaStatus.PENDING, MediaStatus.PROCESSING, MediaStatus.PARTIALLY_AVAILABLE]
          : null
      const sortKey = query.get('sort') === 'modified' ? 'updatedAt' : 'createdAt'
      const visible = [...mediaRequests.values()]
        .filter((q) => viewer.admin || q.requestedBy === viewer)
        .filter((q) => statuses.includes(q.status) && (!mediaStatuses || mediaStatuses.includes(mediaOf(q.title).status)))
        .sort((a, b) => b[sortKey].localeCompare(a[sortKey]) || b.id - a.id)
      return new HttpAnswer(200, { pageInfo: pageInfo(visible.length, take, skip), results: visible.slice(skip, skip + take).map((q) => requestJson(q, viewer)) })
    }

    if (apiPath.startsWith('/request/')) {
      const request = mediaRequests.get(numericParam(m[1], 'requestId'))
      if (!request) throw new HttpAnswer(404, { message: 'Request not found.' })
      if (method === 'GET') {
        if (!viewer.admin && request.requestedBy !== viewer) throw new HttpAnswer(403, FORBIDDEN)
        return new HttpAnswer(200, requestJson(request, viewer))
      }
      if (method === 'DELETE') {
        if (!viewer.admin && !(request.requestedBy === viewer && request.status === RequestStatus.PENDING)) throw new HttpAnswer(403, FORBIDDEN)
        mediaRequests.delete(request.id)
        const media = mediaOf(request.title)
        if (!requestsFor(request.title).some(active) && media.status === MediaStatus.PENDING) setMediaStatus(media, MediaStatus.UNKNOWN)
        return new HttpAnswer(204, null)
      }
      if (!viewer.admin) throw new HttpAnswer(403, FORBIDDEN)
      request.modifiedBy = viewer
      if (m[2] === 'approve') {
        applyStage(request, 'approved')
        afterAnswer.push(() => applyStage(request, 'processing'))
      } else {
        applyStage(request, 'declined')
      }
      return new HttpAnswer(200, requestJson(request, viewer))
    }

    if (apiPath === '/user') {
      const take = Number(query.get('take') ?? 10)
      const skip = Number(query.get('skip') ?? 0)
      const all = [...users.values()].sort((a, b) => a.id - b.id)
      return new HttpAnswer(200, { pageInfo: pageInfo(all.length, take, skip), results: all.slice(skip, skip + take).map((u) => userJson(u, viewer)) })
    }

    if (apiPath === '/issue' && method === 'POST') return createIssue(viewer, body)

    if (apiPath === '/issue') {
      // `req.query.take ? Number(…) : 10`: take=0 means 10 as well.
      const take = Number(query.get('take') ?? 0) || 10
      const skip = Number(query.get('skip') ?? 0)
      // The spec's default (open) fills an absent filter before the route's own (all) can apply.
      const filter = query.get('filter') ?? 'open'
      const statuses: number[] = filter === 'open' ? [IssueStatus.OPEN] : filter === 'resolved' ? [IssueStatus.RESOLVED] : [IssueStatus.OPEN, IssueStatus.RESOLVED]
      const sortKey = query.get('sort') === 'modified' ? 'updatedAt' : 'createdAt'
      const visible = [...reportedIssues.values()]
        .filter((i) => viewer.admin || i.createdBy === viewer)
        .filter((i) => statuses.includes(i.status))
        .sort((a, b) => b[sortKey].localeCompare(a[sortKey]) || b.id - a.id)
      // This route counts its page with ceil, not floor as /request does.
      const info = { pages: Math.ceil(visible.length / take), pageSize: take, results: visible.length, page: Math.ceil(skip / take) + 1 }
      return new HttpAnswer(200, { pageInfo: info, results: visible.slice(skip, skip + take).map((i) => issueJson(i, viewer, 'list')) })
    }

    // Counts every report, whoever asks.
    if (apiPath === '/issue/count') {
      const all = [...reportedIssues.values()]
      const count = (keep: (i: Issue) => boolean) => all.filter(keep).length
      return new HttpAnswer(200, {
        total: all.length, video: count((i) => i.issueType === IssueType.VIDEO), audio: count((i) => i.issueType === IssueType.AUDIO),
        subtitles: count((i) => i.issueType === IssueType.SUBTITLES), others: count((i) => i.issueType === IssueType.OTHER),
        open: count((i) => i.status === IssueStatus.OPEN), closed: count((i) => i.status === IssueStatus.RESOLVED),
      })
    }

    if (apiPath.startsWith('/issue/')) {
      if (method === 'POST' && apiPath.endsWith('/comment')) return commentOn(viewer, numericParam(m[1], 'issueId'), body)
      if (method === 'GET') {
        const issue = reportedIssues.get(numericParam(m[1], 'issueId'))
        if (!issue) throw new HttpAnswer(500, { message: 'Issue not found.' })
        if (!viewer.admin && issue.createdBy !== viewer) throw new HttpAnswer(403, { message: 'You do not have permission to view this issue.' })
        return new HttpAnswer(200, issueJson(issue, viewer, 'one'))
      }
      // DELETE and the status change take the id as a string (Number('x') finds nothing).
      const issue = reportedIssues.get(Number(m[1]))
      if (method === 'DELETE') {
        if (!issue) throw new HttpAnswer(404, { message: 'Issue not found.' })
        if (!viewer.admin && (issue.createdBy !== viewer || issue.comments.length > 1)) throw new HttpAnswer(401, { message: 'You do not have permission to delete this issue.' })
        reportedIssues.delete(issue.id)
        return new HttpAnswer(204, null)
      }
      const status = m[2]
      if (status !== 'open' && status !== 'resolved') {
        const message = 'request/params/status must be equal to one of the allowed values: open, resolved'
        throw new HttpAnswer(400, { message, errors: [{ path: '.params.status', message }] })
      }
      if (!viewer.admin) throw new HttpAnswer(403, FORBIDDEN)
      if (!issue) throw new HttpAnswer(500, { message: 'Issue not found.' })
      changeIssueStatus(issue, status, viewer)
      return new HttpAnswer(200, issueJson(issue, viewer, 'full'))
    }
    throw new HttpAnswer(404, { message: 'not found' })
  }

  const badBody = (message: string) => new HttpAnswer(400, { message, errors: [{ path: '.body', message }] })
  function parseBody(raw: string): Record<string, unknown> {
    let body: unknown
    try { body = JSON.parse(raw || '{}') } catch (e) { throw new HttpAnswer(400, { message: (e as Error).message }) }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badBody('request/body must be object')
    return body as Record<string, unknown>
  }

  function createIssue(viewer: User, raw: string): HttpAnswer {
    const body = parseBody(raw)
    // The spec types these three and requires none of them.
    for (const name of ['issueType', 'mediaId'] as const) if (body[name] !== undefined && typeof body[name] !== 'number') throw badBody(`request/body/${name} must be number`)
    if (body.message !== undefined && typeof body.message !== 'string') throw badBody('request/body/message must be string')
    const known = [...titles.values()].filter((t) => t.media).sort((a, b) => a.media!.id - b.media!.id)
    // TypeORM drops an undefined `where` value: with no mediaId the report lands on the first media row.
    const title = body.mediaId === undefined ? known[0] : known.find((t) => t.media!.id === body.mediaId)
    if (!title) throw new HttpAnswer(404, { message: 'Media does not exist.' })
    // Missing values reach the database, whose NOT NULL columns refuse them.
    if (body.issueType === undefined) throw new HttpAnswer(500, { message: 'SQLITE_CONSTRAINT: NOT NULL constraint failed: issue.issueType' })
    if (body.message === undefined) throw new HttpAnswer(500, { message: 'SQLITE_CONSTRAINT: NOT NULL constraint failed: issue_comment.message' })
    const whole = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : 0)
    const issue: Issue = {
      id: nextIssueId++, issueType: body.issueType as number, status: IssueStatus.OPEN, problemSeason: whole(body.problemSeason),
      problemEpisode: whole(body.problemEpisode), title, createdBy: viewer, modifiedBy: null, comments: [], createdAt: now(), updatedAt: now(),
    }
    addComment(issue, viewer, body.message as string)
    reportedIssues.set(issue.id, issue)
    return new HttpAnswer(200, issueJson(issue, viewer, 'created'))
  }

  function commentOn(viewer: User, issueId: number, raw: string): HttpAnswer {
    const body = parseBody(raw)
    if (body.message === undefined) throw badBody("request/body must have required property 'message'")
    if (typeof body.message !== 'string') throw badBody('request/body/message must be string')
    const issue = reportedIssues.get(issueId)
    if (!issue) throw new HttpAnswer(500, { message: 'Issue not found.' })
    if (!viewer.admin && issue.createdBy !== viewer) throw new HttpAnswer(403, { message: 'You do not have permission to comment on this issue.' })
    addComment(issue, viewer, body.message)
    return new HttpAnswer(200, issueJson(issue, viewer, 'full'))
  }

  function createRequest(viewer: User, raw: string, afterAnswer: Array<() => void>): HttpAnswer {
    const body = parseBody(raw)
    if (body.mediaType !== 'movie' && body.mediaType !== 'tv') throw badBody('request/body/mediaType must be equal to one of the allowed values: movie, tv')
    if (typeof body.mediaId !== 'number' || !Number.isInteger(body.mediaId)) throw badBody('request/body/mediaId must be number')
    const seasons = body.seasons
    if (seasons !== undefined && seasons !== 'all' && !(Array.isArray(seasons) && seasons.every((s) => Number.isInteger(s)))) throw badBody('request/body/seasons must be array or "all"')
    if (body.mediaType === 'tv' && seasons === undefined) throw badBody('request/body/seasons is required for tv')
    const is4k = body.is4k === true

    let requester = viewer
    if (body.userId !== undefined) {
      if (!viewer.admin) throw new HttpAnswer(403, { message: 'You do not have permission to modify the request user.' })
      const other = users.get(Number(body.userId))
      if (!other) throw new HttpAnswer(404, { message: 'User not found.' })
      requester = other
    }

    const title = titles.get(titleKey(body.mediaType, body.mediaId))
    if (!title) throw new HttpAnswer(500, { message: `[TMDB] Failed to fetch ${body.mediaType === 'movie' ? 'movie' : 'TV show'} details: Request failed with status code 404` })
    const media = mediaOf(title)
    const existing = requestsFor(title).filter((q) => active(q) && q.is4k === is4k)

    let requestedSeasons: number[] = []
    if (title.mediaType === 'movie') {
      if (existing.length || media.status === MediaStatus.AVAILABLE) throw new HttpAnswer(409, { message: 'Request for this media already exists.' })
    } else {
      const taken = new Set(existing.flatMap((q) => q.seasons))
      if (media.status === MediaStatus.AVAILABLE) title.seasons.forEach((s) => taken.add(s.seasonNumber))
      media.seasons.filter((s) => s.status === MediaStatus.AVAILABLE).forEach((s) => taken.add(s.seasonNumber))
      const asked = seasons === 'all' ? title.seasons.map((s) => s.seasonNumber) : (seasons as number[])
      requestedSeasons = asked.filter((s) => !taken.has(s))
      if (!requestedSeasons.length) return new HttpAnswer(202, { message: 'No seasons available to request' })
    }

    const autoApproved = requester.admin || requester.autoApprove
    const request: Request = {
      id: nextRequestId++, status: autoApproved ? RequestStatus.APPROVED : RequestStatus.PENDING, type: title.mediaType, is4k, title,
      requestedBy: requester, modifiedBy: autoApproved ? requester : null, seasons: requestedSeasons, createdAt: now(), updatedAt: now(),
    }
    mediaRequests.set(request.id, request)
    if (media.status === MediaStatus.UNKNOWN) setMediaStatus(media, MediaStatus.PENDING)
    if (autoApproved) afterAnswer.push(() => applyStage(request, 'processing'))
    return new HttpAnswer(201, requestJson(request, viewer))
  }

  /** A show's seasons (not the specials) as Overseerr counts them for "all available". */
  const regularSeasons = (title: Title) => title.seasons.map((s) => s.seasonNumber).filter((n) => n > 0)
  function setSeasonStatus(media: Media, seasons: number[], status: number): void {
    for (const n of seasons) {
      const season = media.seasons.find((s) => s.seasonNumber === n)
      if (season) season.status = status
      else media.seasons.push({ seasonNumber: n, status })
    }
    media.seasons.sort((a, b) => a.seasonNumber - b.seasonNumber)
  }
  const seasonAvailable = (media: Media, n: number) => media.seasons.some((s) => s.seasonNumber === n && s.status === MediaStatus.AVAILABLE)

  function applyStage(request: Request, stage: RequestStage, downloads: Array<Partial<DownloadItem>> = [{}]): void {
    const media = mediaOf(request.title)
    request.updatedAt = now()
    if (request.type === 'tv') {
      // Only this request's seasons move; the show is available once every regular season is.
      const status = { pending: MediaStatus.PENDING, approved: MediaStatus.PENDING, processing: MediaStatus.PROCESSING, downloading: MediaStatus.PROCESSING,
        'partially-available': MediaStatus.PROCESSING, available: MediaStatus.AVAILABLE, declined: null, failed: null }[stage]
      if (status !== null) setSeasonStatus(media, request.seasons, status)
      if (stage === 'available') {
        request.status = options.seerr ? RequestStatus.COMPLETED : RequestStatus.APPROVED
        setMediaStatus(media, regularSeasons(request.title).every((n) => seasonAvailable(media, n)) ? MediaStatus.AVAILABLE : MediaStatus.PARTIALLY_AVAILABLE)
        return
      }
    }
    switch (stage) {
      case 'pending': request.status = RequestStatus.PENDING; setMediaStatus(media, MediaStatus.PENDING); break
      case 'approved': request.status = RequestStatus.APPROVED; setMediaStatus(media, MediaStatus.PENDING); break
      case 'processing': request.status = RequestStatus.APPROVED; setMediaStatus(media, MediaStatus.PROCESSING); break
      case 'downloading':
        request.status = RequestStatus.APPROVED
        setMediaStatus(media, MediaStatus.PROCESSING)
        media.downloadStatus = downloads.map((d, i) => ({
          externalId: request.title.tmdbId, downloadId: `SABnzbd_nzo_${request.id}_${i}`, mediaType: request.type,
          title: `${request.title.title} (${request.title.year})`, size: 4_000_000_000, sizeLeft: 1_000_000_000, status: 'downloading',
          timeLeft: '0:10:00', estimatedCompletionTime: new Date(Date.now() + 600_000).toISOString(), ...d,
        }))
        break
      case 'partially-available': request.status = RequestStatus.APPROVED; setMediaStatus(media, MediaStatus.PARTIALLY_AVAILABLE); break
      case 'available':
        request.status = options.seerr ? RequestStatus.COMPLETED : RequestStatus.APPROVED
        setMediaStatus(media, MediaStatus.AVAILABLE)
        break
      case 'declined':
        request.status = RequestStatus.DECLINED
        if (!requestsFor(request.title).some(active) && media.status === MediaStatus.PENDING) setMediaStatus(media, MediaStatus.UNKNOWN)
        break
      // The contract says nothing of the media on failure: it is left where it was.
      case 'failed': request.status = RequestStatus.FAILED; break
    }
    // A show with some seasons in Plex stays partially available while others are on their way.
    if (request.type === 'tv' && media.status !== MediaStatus.AVAILABLE && regularSeasons(request.title).some((n) => seasonAvailable(media, n))) {
      setMediaStatus(media, MediaStatus.PARTIALLY_AVAILABLE)
    }
  }

  // --- the server -----------------------------------------------------------------

  const hanging = new Set<http.ServerResponse>()
  const timers = new Set<NodeJS.Timeout>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      const path = q < 0 ? url : url.slice(0, q)
      const rawQuery = q < 0 ? '' : url.slice(q + 1)
      const body = Buffer.concat(chunks).toString('utf8')
      const query = Object.fromEntries(new URLSearchParams(rawQuery))
      requests.push({ method: req.method ?? 'GET', path, query, url, headers: req.headers, body })

      if ((failure.kind === 'slow' && !Number.isFinite(failure.delayMs)) || hangingPaths.has(path)) {
        hanging.add(res)
        res.on('close', () => hanging.delete(res))
        return
      }
      if (failure.kind === 'garbage') return void res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end('<html><body>Bad Gateway</body></html>')
      if (failure.kind === 'status') return json(res, new HttpAnswer(failure.code, { message: failure.message }))
      const failing = failingPaths.get(path)
      if (failing) return json(res, new HttpAnswer(failing, { message: 'Something went wrong.' }))

      const afterAnswer: Array<() => void> = []
      let answer: HttpAnswer
      try {
        answer = route(req.method ?? 'GET', path, rawQuery, req.headers, body, afterAnswer)
      } catch (e) {
        // A bug in the fake becomes a 500 that names it, not a crashed test run.
        answer = e instanceof HttpAnswer ? e : new HttpAnswer(500, { message: `fake Overseerr bug: ${(e as Error).stack}` })
      }
      res.on('finish', () => afterAnswer.forEach((f) => f()))
      if (failure.kind !== 'slow') return json(res, answer)
      const timer = setTimeout(() => { timers.delete(timer); json(res, answer) }, failure.delayMs)
      timers.add(timer)
    })
  })

  function json(res: http.ServerResponse, answer: HttpAnswer): void {
    if (res.destroyed) return
    if (answer.status === 204) return void res.writeHead(204).end()
    res.writeHead(answer.status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer.body))
  }

  const listen = (at: number) => listenOnLoopback(server, at)
  const stop = () => stopAtOnce(server, timers)
  const port = await listen(0)

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    close: stop,
    addTitle(input) {
      const title: Title = {
        mediaType: input.mediaType, tmdbId: input.tmdbId, title: input.title, year: input.year, poster: input.poster ?? `/${input.tmdbId}.jpg`,
        overview: input.overview ?? `${input.title} (${input.year}).`, tvdbId: input.tvdbId ?? null,
        seasons: input.mediaType === 'tv' ? input.seasons ?? [{ seasonNumber: 1, episodeCount: 10 }] : [], media: null,
        backdrop: input.backdrop === undefined ? `/${input.tmdbId}-backdrop.jpg` : input.backdrop,
        runtime: input.runtime ?? (input.mediaType === 'movie' ? 120 : 45), genres: input.genres ?? ['Drama'],
      }
      const unknownGenre = title.genres.find((name) => !(name in GENRE_IDS))
      if (unknownGenre) throw new Error(`fake Overseerr knows no TMDB genre '${unknownGenre}': use one of ${Object.keys(GENRE_IDS).join(', ')}`)
      titles.set(titleKey(input.mediaType, input.tmdbId), title)
      if (input.availability !== undefined) setMediaStatus(mediaOf(title), input.availability)
    },
    addUser(input) {
      const id = input.id ?? nextUserId++
      nextUserId = Math.max(nextUserId, id + 1)
      users.set(id, {
        id, email: input.email, plexId: input.plexId ?? null, plexUsername: input.plexUsername ?? null,
        displayName: input.displayName ?? input.plexUsername ?? input.email, admin: input.admin ?? false, autoApprove: input.autoApprove ?? false, createdAt: now(),
      })
      return id
    },
    moveRequest(requestId, stage, downloads) {
      const request = mediaRequests.get(requestId)
      if (!request) throw new Error(`fake Overseerr has no request ${requestId}`)
      applyStage(request, stage, downloads)
    },
    setAvailability(mediaType, tmdbId, status) {
      const title = titles.get(titleKey(mediaType, tmdbId))
      if (!title) throw new Error(`fake Overseerr has no ${mediaType} ${tmdbId}: addTitle() first`)
      setMediaStatus(mediaOf(title), status)
    },
    setSeasonAvailability(tmdbId, seasons, status) {
      const title = titles.get(titleKey('tv', tmdbId))
      if (!title) throw new Error(`fake Overseerr has no tv ${tmdbId}: addTitle() first`)
      const media = mediaOf(title)
      setSeasonStatus(media, seasons, status)
      const regular = regularSeasons(title)
      if (regular.every((n) => seasonAvailable(media, n))) setMediaStatus(media, MediaStatus.AVAILABLE)
      else if (regular.some((n) => seasonAvailable(media, n))) setMediaStatus(media, MediaStatus.PARTIALLY_AVAILABLE)
    },
    webhookPayload(type, requestId) {
      if (isIssueWebhook(type)) throw new Error(`${type} is an issue notification: use issueWebhookPayload(type, issueId)`)
      const request = requestId === undefined ? undefined : mediaRequests.get(requestId)
      if (requestId !== undefined && !request) throw new Error(`fake Overseerr has no request ${requestId}`)
      if (!request) {
        return {
          notification_type: type, event: type === 'TEST_NOTIFICATION' ? 'Test Notification' : '', subject: 'Test Notification',
          message: 'Check check, 1, 2, 3. Are we coming in clear?', image: '', media: null, request: null, issue: null, comment: null, extra: [],
        }
      }
      const { title } = request
      const kind = title.mediaType === 'movie' ? 'Movie' : 'Series'
      const event: Record<Exclude<WebhookType, IssueWebhookType>, string> = {
        MEDIA_PENDING: `New ${kind} Request`, MEDIA_APPROVED: `${kind} Request Approved`, MEDIA_AUTO_APPROVED: `${kind} Request Automatically Approved`,
        MEDIA_AVAILABLE: `${kind} Now Available`, MEDIA_DECLINED: `${kind} Request Declined`, MEDIA_FAILED: `${kind} Request Failed`, TEST_NOTIFICATION: 'Test Notification',
      }
      return {
        notification_type: type, event: event[type], subject: `${title.title} (${title.year})`, message: title.overview,
        image: `https://image.tmdb.org/t/p/w600_and_h900_bestv2${title.poster}`,
        media: webhookMedia(title),
        request: {
          request_id: String(request.id), requestedBy_email: request.requestedBy.email, requestedBy_username: request.requestedBy.displayName,
          requestedBy_avatar: '/os_logo_square.png', requestedBy_settings_discordId: '', requestedBy_settings_telegramChatId: '',
        },
        issue: null,
        comment: null,
        extra: title.mediaType === 'tv' ? [{ name: 'Requested Seasons', value: request.seasons.join(', ') }] : [],
      }
    },
    issueWebhookPayload(type, issueId) {
      const issue = reportedIssues.get(issueId)
      if (!issue) throw new Error(`fake Overseerr has no issue ${issueId}`)
      const first = issue.comments[0]
      const latest = issue.comments[issue.comments.length - 1]
      // Overseerr sends these only on the change itself; a payload it could never send is a test bug.
      if (type === 'ISSUE_COMMENT' && latest === first) throw new Error(`issue ${issueId} has no comment after the report: commentOnIssue() first`)
      if (type === 'ISSUE_RESOLVED' && issue.status !== IssueStatus.RESOLVED) throw new Error(`issue ${issueId} is open: setIssueStatus(${issueId}, 'resolved') first`)
      if (type === 'ISSUE_REOPENED' && issue.status !== IssueStatus.OPEN) throw new Error(`issue ${issueId} is resolved: setIssueStatus(${issueId}, 'open') first`)
      const { title, createdBy } = issue
      // "Other" goes unnamed: "New Issue Reported". An unknown type reads "undefined", as in Overseerr.
      const named = issue.issueType === IssueType.OTHER ? '' : `${ISSUE_TYPE_NAME[issue.issueType]} `
      const event: Record<IssueWebhookType, string> = {
        ISSUE_CREATED: `New ${named}Issue Reported`, ISSUE_COMMENT: `New Comment on ${named}Issue`,
        ISSUE_RESOLVED: `${named}Issue Resolved`, ISSUE_REOPENED: `${named}Issue Reopened`,
      }
      // A show's report names its season and episode, each only when set (not 0); a comment has no extra.
      const extra = title.mediaType === 'tv' && issue.problemSeason > 0 && type !== 'ISSUE_COMMENT'
        ? [{ name: 'Affected Season', value: String(issue.problemSeason) }, ...(issue.problemEpisode > 0 ? [{ name: 'Affected Episode', value: String(issue.problemEpisode) }] : [])]
        : []
      return {
        notification_type: type, event: event[type], subject: `${title.title} (${title.year})`, message: first.message,
        image: `https://image.tmdb.org/t/p/w600_and_h900_bestv2${title.poster}`,
        media: webhookMedia(title),
        request: null,
        issue: {
          issue_id: String(issue.id), issue_type: ISSUE_TYPE_KEY[issue.issueType] ?? 'undefined', issue_status: ISSUE_STATUS_KEY[issue.status],
          reportedBy_email: createdBy.email, reportedBy_username: createdBy.displayName, reportedBy_avatar: '/os_logo_square.png',
          reportedBy_settings_discordId: '', reportedBy_settings_telegramChatId: '',
        },
        comment: type === 'ISSUE_COMMENT'
          ? {
              comment_message: latest.message, commentedBy_email: latest.user.email, commentedBy_username: latest.user.displayName,
              commentedBy_avatar: '/os_logo_square.png', commentedBy_settings_discordId: '', commentedBy_settings_telegramChatId: '',
            }
          : null,
        extra,
      }
    },
    issues() {
      return [...reportedIssues.values()].map((i) => ({
        id: i.id, issueType: i.issueType, status: i.status, message: i.comments[0].message, mediaId: mediaOf(i.title).id,
        problemSeason: i.problemSeason, problemEpisode: i.problemEpisode, createdBy: i.createdBy.id,
      }))
    },
    setIssueStatus(issueId, status) {
      const issue = reportedIssues.get(issueId)
      if (!issue) throw new Error(`fake Overseerr has no issue ${issueId}`)
      changeIssueStatus(issue, status, users.get(1)!)
    },
    commentOnIssue(issueId, message, userId = 1) {
      const issue = reportedIssues.get(issueId)
      if (!issue) throw new Error(`fake Overseerr has no issue ${issueId}`)
      const user = users.get(userId)
      if (!user) throw new Error(`fake Overseerr has no user ${userId}`)
      addComment(issue, user, message)
    },
    async sendWebhook(url, { authorization, payload }) {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'axios/1.6.0' }
      if (authorization !== undefined) headers.Authorization = authorization
      const body = typeof payload === 'string' ? payload : JSON.stringify(payload)
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) })
      return { status: res.status, body: await res.text() }
    },
    reset() {
      mediaRequests.clear()
      nextRequestId = 1
      reportedIssues.clear()
      nextIssueId = 1
      nextCommentId = 1
      for (const title of titles.values()) title.media = null
    },
    async down() {
      failure = { kind: 'none' }
      isDown = true
      await stop()
    },
    slow(delayMs = Infinity) { failure = { kind: 'slow', delayMs } },
    status(code, message = 'Something went wrong.') { failure = { kind: 'status', code, message } },
    failPath(path, code) { if (code === null) failingPaths.delete(path); else failingPaths.set(path, code) },
    hangPath(path, hang) {
      if (hang) return void hangingPaths.add(path)
      hangingPaths.delete(path)
      for (const res of hanging) res.destroy()
    },
    garbage() { failure = { kind: 'garbage' } },
    async recover() {
      failure = { kind: 'none' }
      for (const res of hanging) res.destroy()
      if (isDown) { isDown = false; await listen(port) }
    },
  }
}
