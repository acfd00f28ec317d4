// The first page of each person's own requests, kept by each process: "My requests" as
// people open it (no filter, first page) and the dashboard card's five ask the database
// nothing once warm. Every committed change to a request goes through publishChange,
// which drops its requester's entry in every process (ctx.viewerCache).
import type { ViewerCache } from 'medianest/plugin-api'
import type { OverseerrContext } from './plugin-config.ts'
import { listRequests, requestView, type RequestView } from './request-pages.ts'

/** The rows, and what the pages render of them (made once: dates turned into text cost every view). */
type FirstPage = Awaited<ReturnType<typeof listRequests>> & { views: RequestView[] }

const caches = new WeakMap<OverseerrContext, ViewerCache<FirstPage>>()

/** Made in register() (the first call), one per plugin instance. */
export function myRequestsCache(ctx: OverseerrContext): ViewerCache<FirstPage> {
  let cache = caches.get(ctx)
  if (!cache) {
    cache = ctx.viewerCache('my-requests', {
      async load(userId) {
        const page = await listRequests(ctx.db, { userId })
        return { ...page, views: page.rows.map((r) => requestView(r)) }
      },
    })
    caches.set(ctx, cache)
  }
  return cache
}
