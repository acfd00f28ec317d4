// The typed client of Overseerr's API v1 (Jellyseerr and Seerr serve the same). Every
// answer goes through a zod schema here, once; the core's upstream client adds the
// timeout, the size cap, the retries of GETs and the breaker. Query values are
// percent-encoded by it (RFC 3986, so ( ) ! * ' too: Overseerr answers 400 otherwise),
// and only the documented parameters are ever sent: Overseerr refuses unknown ones.
import { HttpError, UpstreamError, z, type PluginContext, type ServiceConfigRecord, type UpstreamClient, type UpstreamRequest } from 'medianest/plugin-api'

export const OVERSEERR_SERVICE = 'overseerr'
export const NOT_SET_UP = 'Overseerr is not set up yet: an admin adds it in Admin → Services (type Overseerr).'

const mediaInfo = z.object({
  id: z.number().optional(),
  status: z.number().int(),
  // A show: each season's own media status (Overseerr leaves it out for movies).
  seasons: z.array(z.object({ seasonNumber: z.number().int(), status: z.number().int() })).optional().catch([]),
  downloadStatus: z.array(z.object({ status: z.string().catch('unknown'), sizeLeft: z.number().optional() })).optional().catch([]),
})
export type MediaInfo = z.output<typeof mediaInfo>

/** What a movie (title, releaseDate) and a show (name, firstAirDate) both say about themselves. */
const titleFields = {
  id: z.number().int(),
  title: z.string().optional(),
  name: z.string().optional(),
  releaseDate: z.string().optional().nullable(),
  firstAirDate: z.string().optional().nullable(),
  posterPath: z.string().optional().nullable(),
  overview: z.string().optional().nullable(),
}
const searchResult = z.object({ ...titleFields, mediaType: z.string(), mediaInfo: mediaInfo.optional().nullable() })
const searchPage = z.object({ page: z.number().int(), totalPages: z.number().int(), totalResults: z.number().int(), results: z.array(searchResult) })
export type SearchPage = z.output<typeof searchPage>

const requestRef = z.object({ id: z.number().int(), status: z.number().int() })
const details = z.object({
  ...titleFields,
  backdropPath: z.string().optional().nullable(),
  // A movie's length in minutes; a show's per-episode lengths.
  runtime: z.number().int().nonnegative().optional().nullable().catch(null),
  episodeRunTime: z.array(z.number()).optional().catch([]),
  genres: z.array(z.object({ name: z.string() })).optional().catch([]),
  seasons: z.array(z.object({ seasonNumber: z.number().int(), episodeCount: z.number().int().optional(), airDate: z.string().optional().nullable() })).optional(),
  mediaInfo: mediaInfo.extend({ requests: z.array(requestRef).optional() }).optional().nullable(),
})
export type Details = z.output<typeof details>

const overseerrRequest = z.object({
  id: z.number().int(),
  status: z.number().int(),
  // Which title the request is for: after a reset Overseerr hands out the same ids again.
  media: mediaInfo.extend({ tmdbId: z.number().int().optional(), mediaType: z.string().optional() }).nullable().optional(),
  requestedBy: z.object({ id: z.number().int() }).optional(),
})
export type OverseerrRequest = z.output<typeof overseerrRequest>

const issue = z.object({
  id: z.number().int(),
  // 1 OPEN, 2 RESOLVED; any other number is read as open (and shown so) rather than failing.
  status: z.number().int(),
  media: z.object({ tmdbId: z.number().int().optional(), mediaType: z.string().optional() }).nullable().optional(),
})
export type OverseerrIssue = z.output<typeof issue>
export interface IssueBody { issueType: 1 | 2 | 3 | 4; message: string; mediaId: number; problemSeason: number; problemEpisode: number }

const user = z.object({ id: z.number().int(), email: z.string().optional().nullable(), plexId: z.number().optional().nullable(), plexUsername: z.string().optional().nullable(), displayName: z.string().optional().nullable() })
const userPage = z.object({ pageInfo: z.object({ pages: z.number().int(), page: z.number().int().optional() }), results: z.array(user) })
export type OverseerrUser = z.output<typeof user>

const status = z.object({ version: z.string() })
const message = z.object({ message: z.string().optional() })

export interface RequestBody { mediaType: 'movie' | 'tv'; mediaId: number; seasons?: number[] | 'all'; is4k: false }
export type CreateAnswer =
  | { kind: 'created'; request: OverseerrRequest }
  /** 409 (movie) or 202 "No seasons available" (tv): Overseerr already has it. */
  | { kind: 'exists'; message: string }

export interface OverseerrClient {
  url: string
  search(query: string, page: number, signal?: AbortSignal): Promise<SearchPage>
  /** A discovery list (`/discover/…`, with its own query such as sortBy), one page. */
  discover(path: string, query: Record<string, string>, page: number, signal?: AbortSignal): Promise<SearchPage>
  details(type: 'movie' | 'tv', tmdbId: number, signal?: AbortSignal): Promise<Details>
  createRequest(body: RequestBody, asUser: number | null, signal?: AbortSignal): Promise<CreateAnswer>
  getRequest(id: number, signal?: AbortSignal): Promise<OverseerrRequest>
  approve(id: number, signal?: AbortSignal): Promise<OverseerrRequest>
  /** Deletes a request in Overseerr; false when it was already gone (404). */
  deleteRequest(id: number, signal?: AbortSignal): Promise<boolean>
  users(signal?: AbortSignal): AsyncGenerator<OverseerrUser>
  /** Creates a problem report ("issue"); Overseerr answers 200, not 201. */
  createIssue(body: IssueBody, asUser: number | null, signal?: AbortSignal): Promise<OverseerrIssue>
  /** One issue, or null when Overseerr no longer has it. */
  getIssue(id: number, signal?: AbortSignal): Promise<OverseerrIssue | null>
  setIssueStatus(id: number, status: 'resolved' | 'open', signal?: AbortSignal): Promise<OverseerrIssue>
  status(signal?: AbortSignal): Promise<{ version: string }>
  me(signal?: AbortSignal): Promise<OverseerrUser>
}

const USERS_PAGE = 100
const MAX_USER_PAGES = 50

/** `check`: for a health check, which the breaker must not answer for (ctx.upstream 1.13). */
export function overseerrClientFor(
  ctx: Pick<PluginContext, 'upstream'>, service: Pick<ServiceConfigRecord, 'serviceUrl' | 'apiKey'>, timeoutMs = 10_000, check = false,
): OverseerrClient {
  const raw: UpstreamClient = ctx.upstream({
    service: 'Overseerr', baseUrl: service.serviceUrl, timeoutMs, headers: service.apiKey ? { 'X-Api-Key': service.apiKey } : {},
    ...(check ? { breaker: false } : {}),
  })
  // A refused key is the admin's to fix, not an outage: say so in words.
  const refusedKey = (error: unknown) => {
    if (error instanceof UpstreamError && (error.upstreamStatus === 401 || error.upstreamStatus === 403)) {
      return new UpstreamError(error.service, error.url, `refused MediaNest's API key (HTTP ${error.upstreamStatus}); an admin needs to check it in Admin → Services`, { cause: error, upstreamStatus: error.upstreamStatus })
    }
    return error
  }
  const http: UpstreamClient = {
    request: ((req: UpstreamRequest<unknown>) => raw.request(req).catch((e: unknown) => { throw refusedKey(e) })) as UpstreamClient['request'],
    get: (path, schema, rest) => raw.get(path, schema, rest).catch((e: unknown) => { throw refusedKey(e) }),
  }
  return {
    url: service.serviceUrl,
    search: (query, page, signal) => http.get('/api/v1/search', searchPage, { query: { query, page, language: 'en' }, signal }),
    discover: (path, query, page, signal) => http.get(`/api/v1${path}`, searchPage, { query: { page, language: 'en', ...query }, signal }),
    details: (type, tmdbId, signal) => http.get(`/api/v1/${type}/${tmdbId}`, details, { query: { language: 'en' }, signal }),
    async createRequest(body, asUser, signal) {
      const res = await http.request({
        method: 'POST', path: '/api/v1/request', body, signal, accept: [409],
        headers: asUser === null ? {} : { 'X-API-User': String(asUser) },
        schema: z.union([overseerrRequest, message]),
      })
      if (res.status === 201 || (res.status === 200 && 'id' in res.data)) return { kind: 'created', request: res.data as OverseerrRequest }
      return { kind: 'exists', message: (res.data as { message?: string }).message ?? `HTTP ${res.status}` }
    },
    getRequest: (id, signal) => http.get(`/api/v1/request/${id}`, overseerrRequest, { signal }),
    async deleteRequest(id, signal) {
      const res = await http.request({ method: 'DELETE', path: `/api/v1/request/${id}`, accept: [404], signal })
      return res.status !== 404
    },
    async approve(id, signal) {
      return (await http.request({ method: 'POST', path: `/api/v1/request/${id}/approve`, schema: overseerrRequest, signal })).data
    },
    async *users(signal) {
      for (let page = 0; page < MAX_USER_PAGES; page++) {
        const answer = await http.get('/api/v1/user', userPage, { query: { take: USERS_PAGE, skip: page * USERS_PAGE }, signal })
        yield* answer.results
        if (page + 1 >= answer.pageInfo.pages || answer.results.length < USERS_PAGE) return
      }
    },
    async createIssue(body, asUser, signal) {
      return (await http.request({
        method: 'POST', path: '/api/v1/issue', body, signal, schema: issue,
        headers: asUser === null ? {} : { 'X-API-User': String(asUser) },
      })).data
    },
    async getIssue(id, signal) {
      // Overseerr answers an issue it does not have with 500 "Issue not found.", not 404.
      const res = await http.request({ method: 'GET', path: `/api/v1/issue/${id}`, accept: [404, 500], signal, schema: z.union([issue, message]) })
      if (res.status === 200) return res.data as OverseerrIssue
      const said = (res.data as { message?: string }).message ?? ''
      if (res.status === 404 || /issue not found/i.test(said)) return null
      throw new UpstreamError('Overseerr', `${service.serviceUrl}/api/v1/issue/${id}`, `HTTP ${res.status}: ${said.slice(0, 200) || 'no message'}`, { upstreamStatus: res.status })
    },
    async setIssueStatus(id, to, signal) {
      return (await http.request({ method: 'POST', path: `/api/v1/issue/${id}/${to}`, signal, schema: issue })).data
    },
    status: (signal) => http.get('/api/v1/status', status, { signal }),
    me: (signal) => http.get('/api/v1/auth/me', user, { signal }),
  }
}

/** A 503 whose words are shown: the person (or their admin) can fix it. */
export class OverseerrNotSetUp extends HttpError {
  constructor() { super(503, NOT_SET_UP, { expose: true }) }
}

/** The configured Overseerr, or null when there is none (or it is switched off, or has no API key). */
export async function overseerrIfSetUp(ctx: PluginContext<{ timeoutMs: number }>): Promise<OverseerrClient | null> {
  const service = await ctx.services.get(OVERSEERR_SERVICE)
  if (!service || !service.enabled || !service.apiKey) return null
  return overseerrClientFor(ctx, service, ctx.config.timeoutMs)
}

/** The configured Overseerr, or a 503 in words when there is none (for actions; pages say so in a 200). */
export async function overseerrClient(ctx: PluginContext<{ timeoutMs: number }>): Promise<OverseerrClient> {
  const client = await overseerrIfSetUp(ctx)
  if (!client) throw new OverseerrNotSetUp()
  return client
}
