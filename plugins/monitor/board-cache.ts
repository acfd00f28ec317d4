// The board as it is rendered, kept by each process: it is the same for every admin and
// for everyone else, so one render per role serves every view until something it shows
// changes. A round of checks, a change of targets and an incident resolved by hand drop
// it in every process (ctx.viewerCache, keyed by role); maxAge bounds anything missed.
import type { Role } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import { boardData } from './board.ts'

const caches = new WeakMap<MonitorContext, ReturnType<typeof makeCache>>()

/** The board as rendered `at`: the page writes that time around it, in each reader's zone. */
export interface RenderedBoard { html: string; at: Date }

function makeCache(ctx: MonitorContext) {
  return ctx.viewerCache<RenderedBoard>('board', {
    load: async (role) => {
      const at = ctx.clock.now()
      return { html: await ctx.views.render('monitor:_board', await boardData(ctx.db, role === 'ADMIN', at)), at }
    },
    maxAge: '60s',
  })
}

/** Made in register(), as every viewer cache is; the same one after that. */
export function boardCache(ctx: MonitorContext) {
  let cache = caches.get(ctx)
  if (!cache) caches.set(ctx, (cache = makeCache(ctx)))
  return cache
}

export function renderedBoard(ctx: MonitorContext, role: Role): Promise<RenderedBoard> {
  return boardCache(ctx).get(role === 'ADMIN' ? 'ADMIN' : 'USER')
}

/** After the change has committed: what the board shows is different now. */
export async function boardChanged(ctx: MonitorContext): Promise<void> {
  await boardCache(ctx).invalidateAll()
}
