// The public side (/status, a mount: API 1.11): a published status page and its badges,
// for anyone, signed in or not. A draft is a 404 except to admins (a preview). The page
// listens for public live events (an anonymous stream, capped by the core).
import { NotFound, type Request, type Response, type Router } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import { findStatusPage, publicPages, renderPublic, slugProblem, type PublicView } from './status-pages.ts'
import { badgeSvg } from './badge.ts'

const noPage = () => new NotFound('There is no status page at this address.')

export function statusPageRoutes(ctx: MonitorContext): Router {
  const router = ctx.http.router()

  /** The page as this viewer may see it: published (from the cache), or a draft rendered for an admin. */
  const visiblePage = async (req: Request): Promise<PublicView> => {
    const slug = String(req.params.slug)
    if (slugProblem(slug)) throw noPage()
    const published = await publicPages(ctx).get(slug)
    if (published) return published
    if (ctx.http.viewer(req)?.role !== 'ADMIN') throw noPage()
    const draft = await findStatusPage(ctx.db, { slug })
    if (!draft) throw noPage()
    // A draft is an admin's preview: rendered for them alone, never cached.
    return renderPublic(ctx, draft)
  }

  router.get('/:slug', async (req: Request, res: Response) => {
    const view = await visiblePage(req)
    await ctx.views.pageOrFragment(req, res, {
      // Kept rendered: the templates named here are what made `html`, not rendered again.
      page: 'monitor:_status-page', fragment: 'monitor:_status-page', title: view.page.title, html: view.html, publicLive: view.page.published,
    })
  })

  router.get('/:slug/badge/:file', async (req: Request, res: Response) => {
    const view = await visiblePage(req)
    const file = String(req.params.file)
    if (!file.endsWith('.svg')) throw new NotFound('A badge is an .svg file.')
    // Only a service the admin put on this page (and still watched) has a badge here.
    const badge = view.badges.get(file.slice(0, -'.svg'.length))
    if (!badge) throw new NotFound('That service is not on this status page.')
    res.status(200).type('image/svg+xml')
    // Embedded in READMEs and wikis: fresh within a minute, and never a draft in a shared cache.
    res.setHeader('Cache-Control', view.page.published ? 'public, max-age=60' : 'private, no-store')
    res.send(badgeSvg(badge.name, badge.status))
  })
  return router
}
