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
export type WebhookType = 'MEDIA_PENDING' | 'MEDIA_APPROVED' | 'MEDIA_AUTO_APPROVED' | 'MEDIA_AVAILABLE' | 'MEDIA_DECLINED' | 'MEDIA_FAILED' | 'TEST_NOTIFICATION'

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
  /** The webhook agent's default template, filled from the fake's state. */
  webhookPayload(type: WebhookType, requestId?: number): Record<string, unknown>
  /** POSTs a webhook as Overseerr's agent does; `payload` may be any (admin-edited) JSON, or a string sent as is. */
  sendWebhook(url: string, options: { authorization?: string; payload: unknown }): Promise<{ status: number; body: string }>
  /** Refuses connections until `recover()`. */
  /** Forgets every request and media state and numbers new requests from 1 again, as a reinstalled Overseerr does. */
  reset(): void
  down(): Promise<void>
  /** Accepts requests and never answers (close() still ends them), or answers after `delayMs`. */
  slow(delayMs?: number): void
  /** Answers every request with this status and `{ "message": … }`. */
  status(code: number, message?: string): void
  /** Answers requests to this one path with this status (null: answer it again), e.g. one discovery row failing. */
  failPath(path: string, code: number | null): void
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
  let nextMediaId = 1
  let nextRequestId = 1
  let nextUserId = 2
  let failure: Failure = { kind: 'none' }
  const failingPaths = new Map<string, number>()
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
    const tv = title.mediaType === 'tv'
      ? { seasons: title.seasons.map((s) => ({ id: title.tmdbId * 100 + s.seasonNumber, name: `Season ${s.seasonNumber}`, ...s })) }
      : {}
    const mediaInfo = title.media
      ? { mediaInfo: { ...mediaJson(title.media), requests: requestsFor(title).map((r) => requestJson(r, viewer)) } }
      : {}
    return { ...resultJson(title), ...tv, ...mediaInfo }
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
    throw new HttpAnswer(404, { message: 'not found' })
  }

  function createRequest(viewer: User, raw: string, afterAnswer: Array<() => void>): HttpAnswer {
    let body: Record<string, unknown>
    try { body = JSON.parse(raw || '{}') } catch (e) { throw new HttpAnswer(400, { message: (e as Error).message }) }
    const bad = (message: string) => new HttpAnswer(400, { message, errors: [{ path: '.body', message }] })
    if (body.mediaType !== 'movie' && body.mediaType !== 'tv') throw bad('request/body/mediaType must be equal to one of the allowed values: movie, tv')
    if (typeof body.mediaId !== 'number' || !Number.isInteger(body.mediaId)) throw bad('request/body/mediaId must be number')
    const seasons = body.seasons
    if (seasons !== undefined && seasons !== 'all' && !(Array.isArray(seasons) && seasons.every((s) => Number.isInteger(s)))) throw bad('request/body/seasons must be array or "all"')
    if (body.mediaType === 'tv' && seasons === undefined) throw bad('request/body/seasons is required for tv')
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

      if (failure.kind === 'slow' && !Number.isFinite(failure.delayMs)) {
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
      }
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
    webhookPayload(type, requestId) {
      const request = requestId === undefined ? undefined : mediaRequests.get(requestId)
      if (requestId !== undefined && !request) throw new Error(`fake Overseerr has no request ${requestId}`)
      if (!request) {
        return {
          notification_type: type, event: type === 'TEST_NOTIFICATION' ? 'Test Notification' : '', subject: 'Test Notification',
          message: 'Check check, 1, 2, 3. Are we coming in clear?', image: '', media: null, request: null, issue: null, comment: null, extra: [],
        }
      }
      const { title } = request
      const media = mediaOf(title)
      const kind = title.mediaType === 'movie' ? 'Movie' : 'Series'
      const event: Record<WebhookType, string> = {
        MEDIA_PENDING: `New ${kind} Request`, MEDIA_APPROVED: `${kind} Request Approved`, MEDIA_AUTO_APPROVED: `${kind} Request Automatically Approved`,
        MEDIA_AVAILABLE: `${kind} Now Available`, MEDIA_DECLINED: `${kind} Request Declined`, MEDIA_FAILED: `${kind} Request Failed`, TEST_NOTIFICATION: 'Test Notification',
      }
      return {
        notification_type: type, event: event[type], subject: `${title.title} (${title.year})`, message: title.overview,
        image: `https://image.tmdb.org/t/p/w600_and_h900_bestv2${title.poster}`,
        media: {
          media_type: title.mediaType, tmdbId: String(title.tmdbId), tvdbId: title.tvdbId === null ? '' : String(title.tvdbId),
          status: MEDIA_STATUS_NAME[media.status] ?? '', status4k: MEDIA_STATUS_NAME[media.status4k] ?? '',
        },
        request: {
          request_id: String(request.id), requestedBy_email: request.requestedBy.email, requestedBy_username: request.requestedBy.displayName,
          requestedBy_avatar: '/os_logo_square.png', requestedBy_settings_discordId: '', requestedBy_settings_telegramChatId: '',
        },
        issue: null,
        comment: null,
        extra: title.mediaType === 'tv' ? [{ name: 'Requested Seasons', value: request.seasons.join(', ') }] : [],
      }
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
    garbage() { failure = { kind: 'garbage' } },
    async recover() {
      failure = { kind: 'none' }
      for (const res of hanging) res.destroy()
      if (isDown) { isDown = false; await listen(port) }
    },
  }
}
