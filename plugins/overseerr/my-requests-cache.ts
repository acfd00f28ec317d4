// The first page of each person's own requests, kept by each process: "My requests" as
// people open it (no filter, first page) and the dashboard card's five ask the database
// nothing once warm. Every committed change to a request goes through publishChange,
// which drops its requester's entry in every process (ctx.viewerCache).
import type { Request, ViewerCache } from 'medianest/plugin-api'
import type { OverseerrContext } from './plugin-config.ts'
import { listRequests, requestView, type RequestView } from './request-pages.ts'

/**
 * The rows, and what the pages render of them, made once (dates turned into text cost
 * every view) in the zone the person reads dates in; made again if they choose another.
 */
type FirstPage = Awaited<ReturnType<typeof listRequests>> & { views: { zone: string; list: RequestView[] } | null }

const caches = new WeakMap<OverseerrContext, ViewerCache<FirstPage>>()

/** Made in register() (the first call), one per plugin instance. */
export function myRequestsCache(ctx: OverseerrContext): ViewerCache<FirstPage> {
  let cache = caches.get(ctx)
  if (!cache) {
    cache = ctx.viewerCache('my-requests', {
      async load(userId) {
        return { ...(await listRequests(ctx.db, { userId })), views: null }
      },
    })
    caches.set(ctx, cache)
  }
  return cache
}

/** The viewer's first page, its dates written for them. */
export async function myFirstPage(ctx: OverseerrContext, viewerId: string, req: Request): Promise<{ rows: FirstPage['rows']; more: boolean; views: RequestView[] }> {
  const page = await myRequestsCache(ctx).get(viewerId)
  const zone = ctx.http.timeZone(req)
  if (page.views?.zone !== zone) page.views = { zone, list: page.rows.map((r) => requestView(r, (d) => ctx.http.formatDate(req, d))) }
  return { rows: page.rows, more: page.more, views: page.views.list }
}
