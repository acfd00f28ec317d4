// The bell: the nav entry's HTML (unread count, latest five) and its live update. A live
// update carries two <hx-partial>s (the count and the list) so an open drop-down stays open.
import type { NotificationsContext } from './plugin-config.ts'
import { latest, unreadCount } from './notifications.ts'

export async function bellData(ctx: NotificationsContext, userId: string) {
  const [unread, items] = await Promise.all([unreadCount(ctx.db, userId), latest(ctx.db, userId, 5)])
  return { unread, items }
}

export async function renderBell(ctx: NotificationsContext, userId: string): Promise<string> {
  return ctx.views.render('notifications:_bell', await bellData(ctx, userId))
}

/** Every open page of this person, in any process (ctx.live fans out over the database). */
export async function publishBell(ctx: NotificationsContext, userId: string): Promise<void> {
  try {
    await ctx.live.publish('message', await ctx.views.render('notifications:_bell-live', await bellData(ctx, userId)), { userId })
  } catch (error) {
    // The row is written; a page that missed this shows the right count on its next load.
    ctx.log.warn(`could not push the bell to ${userId}: ${(error as Error).message}`)
  }
}
