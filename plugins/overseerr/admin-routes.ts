// /admin/overseerr (behind the core's admin guard): the approval queue, pending first,
// with approve/reject per row and in bulk, filters, and the webhook's address and header
// to paste into Overseerr.
import { Conflict, NotFound, z, type Request, type Response, type Viewer } from 'medianest/plugin-api'
import { OVERSEERR_SERVICE } from './overseerr-client.ts'
import type { OverseerrContext } from './plugin-config.ts'
import { actorOf, findRequest, moveRequest, seasonsByRequest, seasonsLabel, type MediaRequestRow } from './requests.ts'
import { countLabel, decodeCursor, encodeCursor, listRequests, pendingCount, requestView } from './request-pages.ts'
import { renderRequest } from './routes.ts'
import { closeRequest } from './withdrawing.ts'
import { MEDIA_TYPES, MEDIA_TYPE_LABEL, OPEN_STATUSES, STATUSES, STATUS_LABEL, type RequestStatus } from './statuses.ts'
import { WEBHOOK_PATH } from './webhook.ts'
import { problemAdminRoutes } from './problem-admin-routes.ts'

const NOTICES = { approved: 'Approved: it is on its way to Overseerr.', rejected: 'Rejected.', bulk: 'Done: the selected requests were updated.' }
const FILTERS = ['pending', 'open', 'all', ...STATUSES.filter((s) => s !== 'pending')] as const

const queueQuery = z.object({
  status: z.enum(FILTERS, 'Choose a status from the list.').default('pending'),
  type: z.union([z.literal(''), z.enum(MEDIA_TYPES, 'Choose a type from the list.')]).default(''),
  after: z.string().max(100).optional(),
})
const reason = z.string().trim().max(500, 'Keep the reason under 500 characters.').optional().transform((r) => r || null)
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'Not a request id.')
const closeBody = z.object({
  reason: z.string().trim().min(1, 'Say why, for the person who asked (it is in the timeline and their notification).')
    .max(500, 'Keep the reason under 500 characters.'),
  deleteThere: z.literal('1', 'Tick the box or leave it.').optional(),
})
const idList = z.union([uuid, z.array(uuid).max(100, 'Select at most 100 requests at once.')]).optional().transform((v) => (v === undefined ? [] : [v].flat()))
const bulkBody = z.object({
  action: z.enum(['approve', 'reject'], 'Choose approve or reject.'),
  ids: idList,
  // "All waiting requests shown": the form carries the page's pending ids, so selecting
  // them all needs no JavaScript. Only what the admin saw is decided, never more.
  all: z.literal('1', 'Tick the box or leave it.').optional(),
  shown: idList,
  reason,
}).transform((b) => ({ action: b.action, reason: b.reason, ids: b.all ? [...b.ids, ...b.shown] : b.ids }))
  .refine((b) => b.ids.length > 0, { message: 'Select at least one request, or tick “All waiting requests shown”.', path: ['ids'] })

export function overseerrAdminRoutes(ctx: OverseerrContext) {
  const router = ctx.http.router()
  router.use('/problems', problemAdminRoutes(ctx))

  const statusesOf = (filter: (typeof FILTERS)[number]): readonly RequestStatus[] | undefined =>
    filter === 'all' ? undefined : filter === 'open' ? OPEN_STATUSES : [filter]

  const renderQueue = async (req: Request, res: Response, notice: string | null = null) => {
    const filter = ctx.http.parse(queueQuery, req.query)
    const after = filter.after ? decodeCursor(filter.after) : null
    const { rows, more } = await listRequests(ctx.db, { statuses: statusesOf(filter.status), mediaType: filter.type || undefined, after })
    const people = new Map((await ctx.users.list({ ids: [...new Set(rows.map((r) => r.user_id))] })).map((u) => [u.id, u.name ?? u.email]))
    const seasons = await seasonsByRequest(ctx.db, rows.filter((r) => r.media_type === 'tv' && !r.all_seasons).map((r) => r.id))
    const service = await ctx.services.get(OVERSEERR_SERVICE)
    const base = `/admin/overseerr?status=${filter.status}&type=${filter.type}`
    await ctx.views.pageOrFragment(req, res, {
      page: 'overseerr:admin', fragment: 'overseerr:_queue', title: 'Overseerr requests',
      data: {
        requests: rows.map((r) => ({ ...requestView(r, (d) => ctx.http.formatDate(req, d), people.get(r.user_id) ?? 'a deleted user'), seasonsLabel: seasonsLabel(r, seasons.get(r.id)) })), filter, pending: countLabel(await pendingCount(ctx.db)),
        filters: FILTERS.map((f) => ({ value: f, label: f === 'open' ? 'Open (not finished)' : f === 'all' ? 'All' : STATUS_LABEL[f] })),
        types: MEDIA_TYPES.map((t) => ({ value: t, label: MEDIA_TYPE_LABEL[t] })),
        pager: { firstHref: after ? base : null, nextHref: more ? `${base}&after=${encodeURIComponent(encodeCursor(rows[rows.length - 1]))}` : null },
        notice: notice ?? ctx.http.takeFlash(req, res, NOTICES),
        // The site's configured address; only without one, the address this admin's browser used.
        webhook: { url: ctx.http.absoluteUrl(`/overseerr/hooks/${WEBHOOK_PATH}`) ?? `${req.protocol}://${req.host}/overseerr/hooks/${WEBHOOK_PATH}`, secretSet: Boolean(service?.fields.webhookSecret), configured: Boolean(service) },
      },
    })
  }

  router.get('/', async (req, res) => renderQueue(req, res))
  // The count on the queue page refreshes itself when any request changes (a live event).
  router.get('/pending-count', async (_req, res) => {
    res.type('text/plain').set('Cache-Control', 'no-store').send(countLabel(await pendingCount(ctx.db)))
  })

  /** Approves or rejects one pending request; a Conflict when someone else already decided. */
  const decide = async (viewer: Viewer, id: string, action: 'approve' | 'reject', why: string | null): Promise<MediaRequestRow> => {
    const moved = action === 'approve'
      ? await moveRequest(ctx, { id, from: ['pending'], to: 'approved', actor: actorOf(viewer), note: why })
      : await moveRequest(ctx, { id, from: ['pending'], to: 'rejected', actor: actorOf(viewer), note: why, extra: { reason: why } })
    if (moved) return moved
    const now = await findRequest(ctx.db, id)
    if (!now) throw new Conflict('That request no longer exists.')
    throw new Conflict(`“${now.title}” is no longer waiting for approval: it is ${STATUS_LABEL[now.status].toLowerCase()}.`)
  }

  const one = (action: 'approve' | 'reject') => async (req: Request, res: Response) => {
    const viewer = ctx.http.mustViewer(req)
    const id = ctx.http.parse(uuid, req.params.id)
    const why = action === 'reject' ? ctx.http.parse(z.object({ reason }), req.body).reason : null
    const row = await decide(viewer, id, action, why)
    return ctx.http.done(req, res, {
      to: '/admin/overseerr', notice: action === 'approve' ? 'approved' : 'rejected',
      inPlace: async () => {
        const owner = await ctx.users.get(row.user_id)
        const view = { ...requestView(row, (d) => ctx.http.formatDate(req, d), owner?.name ?? owner?.email), seasonsLabel: seasonsLabel(row, (await seasonsByRequest(ctx.db, [row.id])).get(row.id)) }
        return ctx.views.pageOrFragment(req, res, {
          page: 'overseerr:admin', fragment: 'overseerr:_queue-row', title: 'Overseerr requests', data: { r: view, decided: action },
        })
      },
    })
  }
  router.post('/requests/:id/approve', one('approve'))
  router.post('/requests/:id/reject', one('reject'))

  // Close any open request, from its page: the reason is required; Overseerr's request is
  // deleted there unless the admin unticks it.
  router.post('/requests/:id/close', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const row = await findRequest(ctx.db, ctx.http.parse(uuid, req.params.id))
    if (!row) throw new NotFound('There is no such request.')
    const body = closeBody.safeParse(req.body)
    if (!body.success) {
      const raw = req.body as { reason?: unknown; deleteThere?: unknown }
      return renderRequest(ctx, req, res, row, {
        status: 422,
        closeForm: { reason: typeof raw.reason === 'string' ? raw.reason.slice(0, 500) : '', deleteThere: raw.deleteThere === '1', error: body.error.issues[0].message },
      })
    }
    const closed = await closeRequest(ctx, viewer, row, body.data.reason, body.data.deleteThere === '1')
    return ctx.http.done(req, res, { to: `/overseerr/requests/${row.id}`, notice: 'closed', inPlace: () => renderRequest(ctx, req, res, closed, { notice: 'closed' }) })
  })

  router.post('/bulk', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const body = ctx.http.parse(bulkBody, req.body)
    let done = 0
    const skipped: string[] = []
    for (const id of new Set(body.ids)) {
      try {
        await decide(viewer, id, body.action, body.reason)
        done++
      } catch (error) {
        if (!(error instanceof Conflict)) throw error
        skipped.push(error.message)
      }
    }
    const verb = body.action === 'approve' ? 'Approved' : 'Rejected'
    const notice = `${verb} ${done} ${done === 1 ? 'request' : 'requests'}.${skipped.length ? ` Skipped ${skipped.length}: ${skipped.join(' ')}` : ''}`
    return ctx.http.done(req, res, { to: '/admin/overseerr', notice: 'bulk', inPlace: () => renderQueue(req, res, notice) })
  })

  return router
}
