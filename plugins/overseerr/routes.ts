// The pages everyone signed in uses: search (/overseerr), the season picker for a show,
// making a request, "my requests" and one request's page with its timeline. Each URL is
// one handler: a plain page without JavaScript, the fragment for htmx.
import { BadInput, Conflict, NotFound, UpstreamError, z, type Request, type Response, type Viewer } from 'medianest/plugin-api'
import { overseerrClient } from './overseerr-client.ts'
import { cachedOverseerr, renderedRow } from './page-caches.ts'
import type { OverseerrContext } from './plugin-config.ts'
import { actorOf, createRequest, findRequest, moveRequest, seasonStatesOf, SYSTEM, timelineOf, type MediaRequestRow } from './requests.ts'
import { decodeCursor, encodeCursor, listRequests, requestView, timelineView } from './request-pages.ts'
import { MAX_QUERY, MAX_TMDB_ID, posterUrl, searchTitles, viewTitles, yearOf } from './search.ts'
import { DISCOVERY_ROWS, discoverPage, MAX_DISCOVERY_PAGE, rowById, type DiscoveryRow } from './discovery.ts'
import { MEDIA_TYPES, MEDIA_TYPE_LABEL, OPEN_STATUSES, STATUSES, STATUS_LABEL, type MediaType, type RequestStatus } from './statuses.ts'
import { withdrawRequest } from './withdrawing.ts'
import { imageRoutes } from './image-routes.ts'
import { renderTitle, reportable, seasonsInPlex, type ProblemForm } from './title-page.ts'
import { createProblem, MAX_PROBLEM_MESSAGE, PROBLEM_TYPES } from './problems.ts'
import type { Details } from './overseerr-client.ts'
import { freeSeasons, seasonChoices } from './season-picker.ts'
import { myFirstPage } from './my-requests-cache.ts'

const NOTICES = {
  requested: 'Requested. You can follow it here.', retried: 'Sent back for approval.',
  withdrawn: 'Withdrawn. You can ask for it again at any time.', closed: 'Closed: the timeline says who and why.',
}
export type RequestNotice = keyof typeof NOTICES

/** Closing is offered while a request is open, except in the seconds it is being sent. */
export const CLOSABLE: readonly RequestStatus[] = OPEN_STATUSES.filter((s) => s !== 'approved')

/** One request's page (or its fragment for htmx), with the forms its viewer may use. */
export async function renderRequest(ctx: OverseerrContext, req: Request, res: Response, row: MediaRequestRow,
  options: { status?: number; notice?: RequestNotice; closeForm?: { reason: string; deleteThere: boolean; error?: string } } = {}): Promise<void> {
  const viewer = ctx.http.mustViewer(req)
  const owner = row.user_id === viewer.id ? null : await ctx.users.get(row.user_id)
  await ctx.views.pageOrFragment(req, res, {
    page: 'overseerr:request', fragment: 'overseerr:_request', title: row.title, status: options.status ?? 200,
    data: {
      request: requestView(row, (d) => ctx.http.formatDate(req, d), owner ? owner.name ?? owner.email : undefined), seasons: row.all_seasons ? 'all' : await seasonStatesOf(ctx.db, row.id),
      timeline: timelineView(await timelineOf(ctx.db, row.id), (d) => ctx.http.formatDate(req, d)),
      canRetry: row.status === 'failed',
      // Offered while it may still be pending in Overseerr; the action checks there.
      canWithdraw: row.user_id === viewer.id && (row.status === 'pending' || row.status === 'in_progress'),
      closeForm: viewer.role === 'ADMIN' && CLOSABLE.includes(row.status) ? options.closeForm ?? { reason: '', deleteThere: true } : null,
      // After an htmx action the notice takes the focus (the button pressed is gone).
      notice: options.notice ? NOTICES[options.notice] : ctx.http.takeFlash(req, res, NOTICES),
    },
  })
}

const searchQuery = z.object({
  q: z.string().trim().max(MAX_QUERY, `Keep the search under ${MAX_QUERY} characters.`).default(''),
  page: z.string().regex(/^\d{1,3}$/, 'The page must be a number.').transform(Number).pipe(z.int().min(1, 'Pages start at 1.').max(500)).default(1),
})

const tmdbId = z.string().trim().regex(/^\d{1,10}$/, 'The TMDB id must be a number.').transform(Number)
  .pipe(z.int().min(1, 'The TMDB id must be a number.').max(MAX_TMDB_ID, 'The TMDB id is too large.'))
const requestBody = z.object({
  mediaType: z.enum(MEDIA_TYPES, 'Choose a movie or a TV show.'),
  tmdbId,
  seasonChoice: z.enum(['all', 'some'], 'Choose all seasons or some.').optional(),
  seasons: z.union([z.string(), z.array(z.string()).max(200)]).optional(),
})

const problemTarget = z.object({ mediaType: z.enum(MEDIA_TYPES, 'Choose a movie or a TV show.'), tmdbId })
/** An optional whole number typed in a field: empty is null, anything else must be one in range. */
const optionalNumber = (what: string, min: number, max: number) => z.string().optional().transform((raw, c) => {
  const v = (raw ?? '').trim()
  if (!v) return null
  const say = (message: string) => { c.addIssue({ code: 'custom', message }); return z.NEVER }
  if (!/^-?\d{1,7}$/.test(v)) return say(`The ${what} must be a number.`)
  const n = Number(v)
  if (n < min) return say(`The ${what} must be ${min} or more.`)
  if (n > max) return say(`The ${what} must be ${max} or less.`)
  return n
})
const problemBody = z.object({
  problemType: z.enum(PROBLEM_TYPES, 'Choose what is wrong: video, audio, subtitles or other.'),
  season: optionalNumber('season', 1, 1000),
  episode: optionalNumber('episode', 1, 10_000),
  message: z.string().trim().min(1, 'Say what happens, in a few words.')
    .max(MAX_PROBLEM_MESSAGE, { error: (issue) => `Keep it to ${MAX_PROBLEM_MESSAGE.toLocaleString('en')} characters; this one has ${String((issue.input as string).length.toLocaleString('en'))}.` }),
})

const listQuery = z.object({
  status: z.union([z.literal(''), z.enum(STATUSES, 'Choose a status from the list.')]).default(''),
  type: z.union([z.literal(''), z.enum(MEDIA_TYPES, 'Choose a type from the list.')]).default(''),
  after: z.string().max(100).optional(),
})


const discoverQuery = z.object({
  // htmx asks for a slow row on its own: just the row, for /overseerr.
  as: z.literal('row', 'Leave "as" out, or ask for the row.').optional(),
  page: z.string().regex(/^\d{1,3}$/, 'The page must be a number.').transform(Number).pipe(z.int().min(1, 'Pages start at 1.').max(MAX_DISCOVERY_PAGE, `There are at most ${MAX_DISCOVERY_PAGE} pages.`)).default(1),
})

/** A row Overseerr did not give: in words (the detail for admins only), and logged. */
function rowFailure(ctx: OverseerrContext, viewer: Viewer, row: DiscoveryRow, error: unknown): string {
  ctx.log.warn(`discovery row ${row.id} failed: ${(error as Error).message}`)
  const detail = viewer.role === 'ADMIN' && error instanceof UpstreamError ? ` (${error.message})` : ''
  return `Overseerr did not send “${row.title}” just now${detail}; the next visit asks again.`
}

/**
 * Every discovery row, rendered once for everyone (page-caches.ts); one failing row leaves
 * the others, and a row Overseerr is slow with does not hold the page: after
 * discoveryWaitMs it shows as on its way (its fetch goes on and fills the cache), and
 * loads itself with htmx.
 */
async function discoveryRows(ctx: OverseerrContext, viewer: Viewer) {
  const rows = DISCOVERY_ROWS.map((row) => {
    const entry = { row, html: renderedRow(ctx, row.id), settled: false }
    entry.html.then(() => { entry.settled = true }, () => { entry.settled = true })
    return entry
  })
  const all = Promise.allSettled(rows.map((r) => r.html))
  // Warm rows settle at once; only a row still out costs a timer.
  if (!(await Promise.race([all, new Promise<null>((resolve) => setImmediate(resolve, null))]))) {
    const waited = new AbortController()
    await Promise.race([all, ctx.clock.sleep(ctx.config.discoveryWaitMs, waited.signal).catch(() => undefined)])
    waited.abort(ROWS_SETTLED)
  }
  return Promise.all(rows.map(({ row, html, settled }) => settled
    ? html.then((h) => ({ ...row, html: h }), (error: unknown) => ({ ...row, error: rowFailure(ctx, viewer, row, error) }))
    : { ...row, slow: true }))
}
const ROWS_SETTLED = new Error('every discovery row settled')

/** A request page or action: its owner or an admin; anyone else gets the same 404 as for no request. */
export async function ownRequest(ctx: OverseerrContext, viewer: Viewer, id: string): Promise<MediaRequestRow> {
  const row = await findRequest(ctx.db, id)
  if (!row || (row.user_id !== viewer.id && viewer.role !== 'ADMIN')) throw new NotFound('There is no such request, or it is not yours.')
  return row
}

export function overseerrRoutes(ctx: OverseerrContext) {
  const router = ctx.http.router()
  router.use(ctx.http.requireUser)
  router.use(imageRoutes(ctx))

  // --- search -------------------------------------------------------------------
  router.get('/', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const checked = ctx.http.validate(searchQuery, req.query)
    const raw = typeof req.query.q === 'string' ? req.query.q.slice(0, MAX_QUERY + 50) : ''
    const render = (data: Record<string, unknown>, status = 200) => ctx.views.pageOrFragment(req, res, {
      page: 'overseerr:search', fragment: 'overseerr:_results', title: 'Request a movie or show', status,
      data: { query: raw, fields: {}, search: null, ...data },
    })
    if (!checked.ok) return render({ fields: checked.fields, error: checked.message }, 422)
    const { q, page } = checked.data
    // Not set up yet is a step not taken, not an error: the page says what it needs, and who.
    const client = await cachedOverseerr(ctx)
    if (!client) return render({ query: q ?? '', notSetUp: { isAdmin: viewer.role === 'ADMIN' } })
    if (!q) return render({ query: '', rows: await discoveryRows(ctx, viewer) })
    const search = await searchTitles(ctx.db, client, viewer, q, page)
    const href = (p: number) => `/overseerr?q=${encodeURIComponent(q)}&page=${p}`
    const pager = { prevHref: search.page > 1 ? href(search.page - 1) : null, nextHref: search.page < search.totalPages ? href(search.page + 1) : null }
    return render({ query: q, search, pager })
  })

  // --- a discovery row's own pages (its "More", and discovery without JavaScript) ----
  router.get('/discover/:row', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const row = rowById(req.params.row)
    if (!row) throw new NotFound(`There is no discovery list “${req.params.row.slice(0, 40)}”.`)
    const { page, as } = ctx.http.parse(discoverQuery, req.query)
    const client = await overseerrClient(ctx)
    if (as === 'row' && ctx.http.isHtmx(req)) {
      const data = await renderedRow(ctx, row.id).then((html) => ({ ...row, html }), (error: unknown) => ({ ...row, error: rowFailure(ctx, viewer, row, error) }))
      return ctx.views.pageOrFragment(req, res, { page: 'overseerr:discover', fragment: 'overseerr:_discovery-row', title: row.title, data: { row: data } })
    }
    let data: Record<string, unknown>
    try {
      const found = await discoverPage(ctx, client, row, page)
      data = { row, page: found.page, totalPages: Math.min(found.totalPages, MAX_DISCOVERY_PAGE), results: await viewTitles(ctx.db, viewer, found.results) }
    } catch (error) {
      data = { row, page, totalPages: page, results: [], error: rowFailure(ctx, viewer, row, error) }
    }
    await ctx.views.pageOrFragment(req, res, { page: 'overseerr:discover', fragment: 'overseerr:discover', title: row.title, data })
  })

  // --- a title's page (the season picker and the problem report form are on it) ----
  for (const type of MEDIA_TYPES) {
    router.get(`/${type}/:tmdbId`, async (req, res) => {
      const id = ctx.http.parse(tmdbId, req.params.tmdbId)
      // A page for a title Overseerr does not know is not there (404), not a form mistake.
      const details = await detailsOrRefuse(ctx, type, id).catch((error: unknown) => {
        throw error instanceof BadInput ? new NotFound(error.message) : error
      })
      await renderTitle(ctx, req, res, type, id, details)
    })
  }

  interface SeasonsFormInput { tmdbId: number; details: Details; fields: Record<string, string>; chosen: number[]; choice: string }
  // A picker that needs correcting: its own fragment for htmx, the whole title page without JavaScript.
  const renderSeasons = (req: Request, res: Response, form: SeasonsFormInput, status = 200) => renderTitle(ctx, req, res, 'tv', form.tmdbId, form.details, {
    status, fragment: 'overseerr:_seasons-form', seasonsForm: { fields: form.fields, chosen: form.chosen, choice: form.choice },
  })

  // --- reporting a problem with a title in Plex ----------------------------------------
  router.post('/problems', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const head = ctx.http.parse(problemTarget, req.body)
    const details = await detailsOrRefuse(ctx, head.mediaType, head.tmdbId)
    const title = (details.title ?? details.name ?? '').slice(0, 500) || `TMDB ${head.tmdbId}`
    if (!reportable(details)) throw new Conflict(`${title} is not in Plex, so there is no problem to report: request it instead.`)
    const raw = req.body as Record<string, unknown>
    const text = (k: string, max: number) => (typeof raw[k] === 'string' ? (raw[k] as string).slice(0, max) : '')
    const form: ProblemForm = { fields: {}, problemType: text('problemType', 20), season: text('season', 10), episode: text('episode', 10), message: text('message', MAX_PROBLEM_MESSAGE + 100) }
    const checked = ctx.http.validate(problemBody, req.body)
    const fields = checked.ok ? {} : { ...checked.fields }
    if (checked.ok) {
      const { season, episode } = checked.data
      const seasonInfo = details.seasons?.find((s) => s.seasonNumber === season)
      // The movie form has no such fields: only a hand-made POST sends them.
      if (head.mediaType === 'movie' && (season !== null || episode !== null)) throw new BadInput('A movie has no seasons or episodes.', { season: 'Not for a movie.' })
      if (season !== null && !seasonInfo) fields.season = `${title} has no season ${season}.`
      else if (season !== null && !seasonsInPlex(details).includes(season)) fields.season = `Season ${season} is not in Plex yet.`
      else if (episode !== null && season === null) fields.episode = 'Choose the season of this episode, or leave the episode empty.'
      else if (episode !== null && seasonInfo?.episodeCount !== undefined && episode > seasonInfo.episodeCount) fields.episode = `Season ${season} has ${seasonInfo.episodeCount} episodes.`
    }
    if (!checked.ok || Object.keys(fields).length) {
      return renderTitle(ctx, req, res, head.mediaType, head.tmdbId, details, { status: 422, fragment: 'overseerr:_problem-form', problemForm: { ...form, fields } })
    }
    const body = checked.data!
    await createProblem(ctx, {
      user: viewer, mediaType: head.mediaType, tmdbId: head.tmdbId, title, overseerrMediaId: details.mediaInfo!.id!,
      problemType: body.problemType, season: body.season, episode: body.episode, message: body.message,
    })
    ctx.http.flash(res, 'reported')
    ctx.http.sendTo(req, res, `/overseerr/${head.mediaType}/${head.tmdbId}`)
  })

  // --- making a request -----------------------------------------------------------
  router.post('/requests', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const body = ctx.http.parse(requestBody, req.body)
    const details = await detailsOrRefuse(ctx, body.mediaType, body.tmdbId)
    const title = (details.title ?? details.name ?? '').slice(0, 500) || `TMDB ${body.tmdbId}`
    const year = yearOf(details.releaseDate ?? details.firstAirDate)

    // A show: the seasons written out, only those nobody asked for and not in Plex.
    let seasons: 'all' | number[] = 'all'
    let skipped: number[] = []
    if (body.mediaType === 'tv') {
      const choices = await seasonChoices(ctx.db, viewer, details, body.tmdbId)
      const known = choices.map((c) => c.n)
      const picked = body.seasonChoice === 'some' ? [...new Set([body.seasons ?? []].flat().map((s) => Number(s)))] : freeSeasons(choices)
      const form: SeasonsFormInput = { tmdbId: body.tmdbId, details, fields: {}, chosen: picked.filter((n) => known.includes(n)), choice: body.seasonChoice ?? 'all' }
      if (body.seasonChoice === 'some' && !picked.length) return renderSeasons(req, res, { ...form, fields: { seasons: 'Pick at least one season, or choose all seasons.' } }, 422)
      if (picked.some((n) => !known.includes(n))) {
        return renderSeasons(req, res, { ...form, fields: { seasons: picked.includes(0) ? 'The specials (season 0) cannot be requested here; pick numbered seasons.' : `${title} has no such season; pick from the list.` } }, 422)
      }
      const free = new Set(freeSeasons(choices))
      if (!picked.some((n) => free.has(n))) {
        const asked = choices.find((c) => picked.includes(c.n) && (c.state === 'mine' || c.state === 'requested'))
        if (!asked) return outcome(req, res, { state: 'available', title }, 409)
        return outcome(req, res, { state: 'duplicate', title, existing: { id: asked.requestId, status: STATUS_LABEL[asked.requestStatus!], mine: asked.state === 'mine' } }, 409)
      }
      seasons = picked.filter((n) => free.has(n)).sort((a, b) => a - b)
      skipped = picked.filter((n) => !free.has(n)).sort((a, b) => a - b)
    }

    if (details.mediaInfo?.status === 5) return outcome(req, res, { state: 'available', title }, 409)
    const result = await createRequest(ctx, {
      user: viewer, title, mediaType: body.mediaType, tmdbId: body.tmdbId, year, posterPath: posterUrl(details.posterPath) ? details.posterPath! : null,
      seasons, autoApprove: ctx.config.autoApprove[viewer.role] ?? false,
    })
    if (result.kind === 'duplicate') {
      const existing = result.existing
      const visible = existing && (existing.user_id === viewer.id || viewer.role === 'ADMIN')
      return outcome(req, res, { state: 'duplicate', title, existing: existing ? { id: visible ? existing.id : null, status: STATUS_LABEL[existing.status], mine: existing.user_id === viewer.id } : null }, 409)
    }
    // Seasons already asked for or in Plex were left out (a stale page, or someone faster).
    const leftOut = [...skipped, ...result.skipped].sort((a, b) => a - b)
    return ctx.http.done(req, res, { to: `/overseerr/requests/${result.row.id}`, notice: 'requested', inPlace: () => outcome(req, res, { state: 'requested', title, request: requestView(result.row, (d) => ctx.http.formatDate(req, d)), leftOut }, 201) })
  })

  const outcome = (req: Request, res: Response, data: Record<string, unknown>, status: number) => ctx.views.pageOrFragment(req, res, {
    page: 'overseerr:outcome', fragment: 'overseerr:_outcome', title: 'Request', status, data: { outcome: data },
  })

  // --- my requests ----------------------------------------------------------------
  router.get('/requests', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const filter = ctx.http.parse(listQuery, req.query)
    const after = filter.after ? decodeCursor(filter.after) : null
    if (filter.after && !after) throw new BadInput('That page address is broken; start again from the first page.', { after: 'Not a page position.' })
    const { rows, more, views } = !filter.status && !filter.type && !after
      ? await myFirstPage(ctx, viewer.id, req)
      : await listRequests(ctx.db, { userId: viewer.id, statuses: filter.status ? [filter.status] : undefined, mediaType: filter.type || undefined, after })
        .then((page) => ({ ...page, views: page.rows.map((r) => requestView(r, (d) => ctx.http.formatDate(req, d))) }))
    const base = `/overseerr/requests?status=${filter.status}&type=${filter.type}`
    await ctx.views.pageOrFragment(req, res, {
      page: 'overseerr:requests', fragment: 'overseerr:_requests-list', title: 'My requests',
      data: {
        requests: views, filter, statuses: STATUSES.map((s) => ({ value: s, label: STATUS_LABEL[s] })),
        types: MEDIA_TYPES.map((t) => ({ value: t, label: MEDIA_TYPE_LABEL[t] })),
        pager: { firstHref: after ? base : null, nextHref: more ? `${base}&after=${encodeURIComponent(encodeCursor(rows[rows.length - 1]))}` : null },
        notice: ctx.http.takeFlash(req, res, NOTICES),
      },
    })
  })

  // --- one request ----------------------------------------------------------------
  router.get('/requests/:id', async (req, res) => {
    await renderRequest(ctx, req, res, await ownRequest(ctx, ctx.http.mustViewer(req), req.params.id))
  })

  router.post('/requests/:id/withdraw', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const row = await withdrawRequest(ctx, viewer, await ownRequest(ctx, viewer, req.params.id))
    return ctx.http.done(req, res, { to: `/overseerr/requests/${row.id}`, notice: 'withdrawn', inPlace: () => renderRequest(ctx, req, res, row, { notice: 'withdrawn' }) })
  })

  router.post('/requests/:id/retry', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const row = await ownRequest(ctx, viewer, req.params.id)
    let moved: MediaRequestRow | null
    try {
      moved = await moveRequest(ctx, { id: row.id, from: ['failed'], to: 'pending', actor: actorOf(viewer), note: 'Tried again.', set: { overseerr_id: null } })
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error
      throw new Conflict(`Someone else's request for ${row.title} is open now, so this one cannot be reopened.`)
    }
    if (!moved) throw new Conflict(`This request is ${STATUS_LABEL[(await findRequest(ctx.db, row.id))!.status].toLowerCase()}, not failed: there is nothing to retry.`)
    const requester = await ctx.users.get(moved.user_id)
    if (requester && ctx.config.autoApprove[requester.role]) {
      moved = (await moveRequest(ctx, { id: moved.id, from: ['pending'], to: 'approved', actor: SYSTEM.autoApprove, note: 'Auto-approved on retry.' })) ?? moved
    }
    return ctx.http.done(req, res, { to: `/overseerr/requests/${row.id}`, notice: 'retried', inPlace: () => renderRequest(ctx, req, res, moved, { notice: 'retried' }) })
  })

  return router
}

/** A title's details from Overseerr; an id it does not know is the person's mistake (422), not an outage. */
export async function detailsOrRefuse(ctx: OverseerrContext, type: MediaType, id: number) {
  const client = await overseerrClient(ctx)
  try {
    return await client.details(type, id)
  } catch (error) {
    if (error instanceof UpstreamError && error.upstreamStatus === 404) {
      throw new BadInput(`Overseerr knows no ${type === 'movie' ? 'movie' : 'TV show'} with TMDB id ${id}.`, { tmdbId: 'Not a title Overseerr knows.' })
    }
    throw error
  }
}
