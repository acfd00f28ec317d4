// The public side (/status, a mount: API 1.11): a published status page and its badges,
// for anyone, signed in or not. A draft is a 404 except to admins (a preview). The page
// listens for public live events (an anonymous stream, capped by the core).
import { NotFound, type Request, type Response, type Router } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import type { Status } from './service-status.ts'
import { cachedFragment, pageForView, publicPageData, slugProblem } from './status-pages.ts'
import { badgeSvg } from './badge.ts'

const noPage = () => new NotFound('There is no status page at this address.')

export function statusPageRoutes(ctx: MonitorContext): Router {
  const router = ctx.http.router()

  /** The page when this viewer may see it: published, or a draft to an admin. */
  const visiblePage = async (req: Request) => {
    const slug = String(req.params.slug)
    if (slugProblem(slug)) throw noPage()
    const page = await pageForView(ctx.db, slug)
    if (!page || (!page.published && ctx.http.viewer(req)?.role !== 'ADMIN')) throw noPage()
    return page
  }

  router.get('/:slug', async (req: Request, res: Response) => {
    const page = await visiblePage(req)
    const render = async () => ctx.views.render('monitor:_status-page', await publicPageData(ctx.db, page, ctx.clock.now()))
    // A draft is an admin's preview: never cached where a visitor could get it.
    const html = page.published ? await cachedFragment(ctx, page, render) : await render()
    await ctx.views.pageOrFragment(req, res, {
      page: 'monitor:status-page', fragment: 'monitor:_status-page-cached', title: page.title, data: { html }, publicLive: page.published,
    })
  })

  router.get('/:slug/badge/:file', async (req: Request, res: Response) => {
    const page = await visiblePage(req)
    const file = String(req.params.file)
    if (!file.endsWith('.svg')) throw new NotFound('A badge is an .svg file.')
    const service = file.slice(0, -'.svg'.length)
    // Only a service the admin put on this page has a badge here.
    if (!page.groups.some((g) => g.services.includes(service))) throw new NotFound('That service is not on this status page.')
    const row = await ctx.db('service_status').where({ service_name: service }).first('display_name', 'status') as { display_name: string; status: Status | null } | undefined
    if (!row) throw new NotFound('That service is not watched any more.')
    res.status(200).type('image/svg+xml')
    // Embedded in READMEs and wikis: fresh within a minute, and never a draft in a shared cache.
    res.setHeader('Cache-Control', page.published ? 'public, max-age=60' : 'private, no-store')
    res.send(badgeSvg(row.display_name, row.status))
  })
  return router
}
