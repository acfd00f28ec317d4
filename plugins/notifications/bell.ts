// The bell: the nav entry's HTML (unread count, latest five) and its live update. A live
// update carries two <hx-partial>s (the count and the list) so an open drop-down stays open.
// Its data is in a viewer cache: every page shows the bell, and a warm page asks the
// database nothing for it. The same entry holds the first page of the inbox (the bell's
// five are its top), so /notifications as most people open it asks nothing either. Every
// change to a person's notifications goes through publishBell, which drops their entry in
// every process before pushing the new bell.
import type { ViewerCache } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { inboxPage, unreadCount, type InboxPage, type NotificationRow } from './notifications.ts'

type BellData = { unread: number; items: NotificationRow[]; firstPage: InboxPage }

const caches = new WeakMap<NotificationsContext, ViewerCache<BellData>>()

/** Made in register() (the first call), one per plugin instance. */
export function bellCache(ctx: NotificationsContext): ViewerCache<BellData> {
  let cache = caches.get(ctx)
  if (!cache) {
    cache = ctx.viewerCache('bell', {
      async load(userId) {
        const [unread, firstPage] = await Promise.all([
          unreadCount(ctx.db, userId),
          inboxPage(ctx.db, userId, { unreadOnly: false, after: null, limit: ctx.config.pageSize }),
        ])
        // pageSize is at least 5.
        return { unread, items: firstPage.rows.slice(0, 5), firstPage }
      },
    })
    caches.set(ctx, cache)
  }
  return cache
}

export const bellData = (ctx: NotificationsContext, userId: string): Promise<BellData> => bellCache(ctx).get(userId)

export async function renderBell(ctx: NotificationsContext, userId: string): Promise<string> {
  return ctx.views.render('notifications:_bell', await bellData(ctx, userId))
}

/** After any change to this person's notifications: every open page of theirs, in any process. */
export async function publishBell(ctx: NotificationsContext, userId: string): Promise<void> {
  try {
    await bellCache(ctx).invalidate(userId)
    await ctx.live.publish('message', await ctx.views.render('notifications:_bell-live', await bellData(ctx, userId)), { userId })
  } catch (error) {
    // The row is written; a page that missed this shows the right count on its next load.
    ctx.log.warn(`could not push the bell to ${userId}: ${(error as Error).message}`)
  }
}
