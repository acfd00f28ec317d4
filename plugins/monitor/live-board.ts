// Tells open pages that a status changed: a named event every signed-in page hears; the
// board, the widget and a service page refetch themselves on it (and poll anyway).
import type { MonitorContext } from './plugin-config.ts'
import type { Recorded } from './service-status.ts'
import { publicPagesChanged } from './status-pages.ts'

export const STATUS_CHANGED_EVENT = 'monitor-status-changed'

export async function announceChanges(ctx: MonitorContext, changes: Array<Recorded & { name: string }>): Promise<void> {
  if (!changes.some((c) => c.before !== c.after || c.opened || c.resolved)) return
  try {
    await ctx.live.publish(STATUS_CHANGED_EVENT, '', { role: 'USER' })
    // Public status pages render afresh and refetch (anonymous streams hear only this nudge, no data).
    await publicPagesChanged(ctx)
  } catch (error) {
    // Pages poll every 30 s anyway: a lost nudge is a late board, not a wrong one.
    ctx.log.warn(`monitor: the live update failed: ${(error as Error).message}`)
  }
}
