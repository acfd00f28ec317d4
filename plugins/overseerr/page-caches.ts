// What /overseerr shows on every visit, kept by each process so a warm visit asks neither
// the database nor Overseerr anything (ctx.viewerCache: an invalidate drops the entry in
// every process):
// - the overseerr service (address and key), dropped on `core.service.updated`; jobs and
//   actions read it fresh, only the discovery page trusts this copy;
// - each discovery row rendered (Overseerr's page of it, and our open requests' badges on
//   its cards), kept for discoveryCacheSeconds and dropped by publishChange, which every
//   committed change to a request goes through. A row's cards carry nothing of the viewer
//   (no form, no token): every person sees the same row.
import type { ViewerCache } from 'medianest/plugin-api'
import { OVERSEERR_SERVICE, overseerrClientFor, type OverseerrClient } from './overseerr-client.ts'
import type { OverseerrContext } from './plugin-config.ts'
import { renderRow } from './discovery.ts'

interface Caches { service: ViewerCache<OverseerrClient | null>; rows: ViewerCache<string> }
const caches = new WeakMap<OverseerrContext, Caches>()
const ONE = 'overseerr'

/** Made in register() (the first call), one per plugin instance. */
export function pageCaches(ctx: OverseerrContext): Caches {
  let made = caches.get(ctx)
  if (!made) {
    const service: ViewerCache<OverseerrClient | null> = ctx.viewerCache('service', {
      maxAge: '5m',
      async load() {
        const found = await ctx.services.get(OVERSEERR_SERVICE)
        return found && found.enabled && found.apiKey ? overseerrClientFor(ctx, found, ctx.config.timeoutMs) : null
      },
    })
    made = {
      service,
      rows: ctx.viewerCache('discovery-rows', {
        maxAge: `${Math.max(1, ctx.config.discoveryCacheSeconds)}s`,
        async load(rowId) {
          const client = await service.get(ONE)
          if (!client) throw new Error('Overseerr is not set up')
          return renderRow(ctx, client, rowId)
        },
      }),
    }
    caches.set(ctx, made)
  }
  return made
}

export const cachedOverseerr = (ctx: OverseerrContext) => pageCaches(ctx).service.get(ONE)
/** One discovery row's HTML; rejects with Overseerr's failure (not kept). */
export const renderedRow = (ctx: OverseerrContext, rowId: string) => pageCaches(ctx).rows.get(rowId)
export const requestsChanged = (ctx: OverseerrContext) => pageCaches(ctx).rows.invalidateAll()
export const serviceChanged = async (ctx: OverseerrContext) => {
  await pageCaches(ctx).service.invalidate(ONE)
  await pageCaches(ctx).rows.invalidateAll()
}
