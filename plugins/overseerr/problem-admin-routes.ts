// /admin/overseerr/problems (behind the core's admin guard): the problem reports, open
// first, with resolve / reopen per row. Each action goes to Overseerr first (a failure
// there changes nothing here) and then moves ours, telling the reporter when resolved.
import { Conflict, NotFound, z, type Request, type Response } from 'medianest/plugin-api'
import type { OverseerrContext } from './plugin-config.ts'
import { findProblem, problemWhat, type ProblemRow } from './problems.ts'
import { setProblemStatus } from './problem-sync.ts'

const PAGE = 50
const NOTICES = { resolved: 'Marked resolved; the person who reported it is told.', reopened: 'Reopened.' }
const listQuery = z.object({
  status: z.enum(['open', 'resolved', 'all'], 'Choose open, resolved or all.').default('open'),
  page: z.string().regex(/^\d{1,4}$/, 'The page must be a number.').transform(Number).pipe(z.int().min(1, 'Pages start at 1.')).default(1),
})
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'Not a report id.')

const SENT_LABEL = { sending: 'Being sent to Overseerr', sent: 'In Overseerr', failed: 'Not in Overseerr' }

export function problemAdminRoutes(ctx: OverseerrContext) {
  const router = ctx.http.router()

  const view = (req: Request, row: ProblemRow, reporter: string) => ({
    id: row.id, title: row.title, href: `/overseerr/${row.media_type}/${row.tmdb_id}`, what: problemWhat(row), message: row.message,
    reporter, status: row.status, sent: SENT_LABEL[row.send_state], sendError: row.send_error, overseerrId: row.overseerr_issue_id,
    createdAt: { iso: row.created_at.toISOString(), text: ctx.http.formatDate(req, row.created_at) },
    resolvedBy: row.resolved_by,
  })
  const namesOf = async (rows: ProblemRow[]) =>
    new Map((await ctx.users.list({ ids: [...new Set(rows.map((r) => r.user_id))] })).map((u) => [u.id, u.name ?? u.email]))

  router.get('/', async (req, res) => {
    const filter = ctx.http.parse(listQuery, req.query)
    const rows: ProblemRow[] = await ctx.db<ProblemRow>('media_problems')
      .modify((q) => { if (filter.status !== 'all') q.where({ status: filter.status }) })
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).offset((filter.page - 1) * PAGE).limit(PAGE + 1)
    const names = await namesOf(rows)
    const href = (p: number) => `/admin/overseerr/problems?status=${filter.status}&page=${p}`
    await ctx.views.pageOrFragment(req, res, {
      page: 'overseerr:problems', fragment: 'overseerr:_problems', title: 'Problem reports',
      data: {
        problems: rows.slice(0, PAGE).map((r) => view(req, r, names.get(r.user_id) ?? 'a deleted user')), filter,
        pager: { prevHref: filter.page > 1 ? href(filter.page - 1) : null, nextHref: rows.length > PAGE ? href(filter.page + 1) : null },
        notice: ctx.http.takeFlash(req, res, NOTICES),
      },
    })
  })

  const move = (to: 'resolved' | 'open') => async (req: Request, res: Response) => {
    const viewer = ctx.http.mustViewer(req)
    const row = await findProblem(ctx.db, ctx.http.parse(uuid, req.params.id))
    if (!row) throw new NotFound('There is no such problem report.')
    if (row.status === to) throw new Conflict(`This report is ${to === 'open' ? 'open' : 'resolved'} already.`)
    const moved = await setProblemStatus(ctx, row, to, viewer.name ?? viewer.email)
    return ctx.http.done(req, res, {
      to: '/admin/overseerr/problems', notice: to === 'resolved' ? 'resolved' : 'reopened',
      inPlace: async () => {
        const names = await namesOf([moved])
        return ctx.views.pageOrFragment(req, res, {
          page: 'overseerr:problems', fragment: 'overseerr:_problem-row', title: 'Problem reports',
          data: { p: view(req, moved, names.get(moved.user_id) ?? 'a deleted user'), done: to === 'resolved' ? 'Resolved' : 'Reopened' },
        })
      },
    })
  }
  router.post('/:id/resolve', move('resolved'))
  router.post('/:id/reopen', move('open'))
  return router
}
