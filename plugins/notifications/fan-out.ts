// A fact for many people ("admins", "everyone") reaches them a page at a time, each page
// its own job: however many users there are, no job holds thousands of rows in memory or
// runs longer than its timeout, and a page run twice writes nothing twice (a person has a
// fact once, a channel a fact once, and a page's successor is queued once).
import { z, type Knex, type PublicUser } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { insertNotifications, type NotificationRow } from './notifications.ts'
import { choicesFor } from './preferences.ts'
import { enabledChannelsOf } from './channels.ts'
import { queueDeliveries } from './deliveries.ts'
import { bellCache, publishBell } from './bell.ts'

/** Users per page job: one insert, one read of choices, one of channels. */
export const FAN_OUT_PAGE = 500
/**
 * Above this many people in one page, their open pages are told their bell changed (one
 * live event per role) and fetch it themselves, instead of a bell rendered and pushed for
 * each: ten thousand people cost as many pushes as there are open pages.
 */
const PUSH_EACH_UP_TO = 20
export const BELL_STALE_EVENT = 'notifications-bell-stale'

export const fanOutPayload = z.object({
  event: z.string().min(1).max(200),
  plugin: z.string().min(1).max(100),
  key: z.string().regex(/^[0-9a-f]{64}$/),
  title: z.string().max(200),
  message: z.string().max(2000),
  link: z.string().max(2000).optional(),
  audience: z.enum(['admins', 'everyone']),
  /** The page starts after this user id (the previous page's `next`); none for the first. */
  after: z.uuid().optional(),
})
export type FanOut = z.output<typeof fanOutPayload>
export type Fact = Omit<FanOut, 'audience' | 'after'>

/** One page of the audience: their inbox rows and personal deliveries, then the next page's job. */
export async function fanOutPage(ctx: NotificationsContext, page: FanOut): Promise<void> {
  const { users, next } = await ctx.users.page({ status: 'active', ...(page.audience === 'admins' ? { role: 'ADMIN' as const } : {}), after: page.after, limit: FAN_OUT_PAGE })
  const created = await ctx.db.transaction(async (trx) => {
    const rows = await deliverTo(ctx, trx, page, users)
    // In the same transaction: a page that committed always has its successor queued, and
    // only once, however often the page runs.
    if (next && await claimPage(trx, page.key, next)) {
      await ctx.jobs.enqueue('fan-out', { ...page, after: next }, { dedupeKey: `fan-out:${page.key}:${next}`, trx })
    }
    return rows
  })
  await tellBells(ctx, created, page.audience)
}

async function claimPage(trx: Knex.Transaction, factKey: string, after: string): Promise<boolean> {
  const rows = await trx('notification_fan_out_pages').insert({ fact_key: factKey, after }).onConflict(['fact_key', 'after']).ignore().returning('fact_key')
  return rows.length > 0
}

/** Pages older than this are done with: the daily tidy drops their marks. */
export async function forgetPagesBefore(db: Knex, before: Date): Promise<number> {
  return db('notification_fan_out_pages').where('created_at', '<', before).delete()
}

/**
 * Writes the fact into each person's inbox who keeps it there, and queues their own
 * channels' deliveries (with their jobs) for those who also want it sent: one statement
 * each, whatever the number of people. Returns the rows that are new.
 */
export async function deliverTo(ctx: NotificationsContext, trx: Knex.Transaction, fact: Fact, users: PublicUser[]): Promise<NotificationRow[]> {
  if (!users.length) return []
  const choices = await choicesFor(trx, fact.event, users.map((u) => u.id))
  const inbox = users.filter((u) => choices.get(u.id)!.inApp)
  const rows = await insertNotifications(trx, inbox.map((u) => ({
    userId: u.id, type: fact.event, title: fact.title, message: fact.message, factKey: fact.key,
    metadata: { ...(fact.link ? { link: fact.link } : {}), plugin: fact.plugin },
  })))
  const sending = rows.filter((r) => choices.get(r.user_id)!.outbound)
  if (sending.length) {
    const channels = await enabledChannelsOf(trx, sending.map((r) => r.user_id))
    for (const row of sending) {
      const rows = await queueDeliveries(trx, row, channels.filter((c) => c.owner_user_id === row.user_id))
      for (const d of rows.filter((r) => r.status === 'queued')) {
        await ctx.jobs.enqueue('deliver', { deliveryId: d.id }, { dedupeKey: `delivery:${d.id}`, trx })
      }
    }
  }
  return rows
}

/** After the rows committed: each person's open pages show the new count. */
export async function tellBells(ctx: NotificationsContext, created: NotificationRow[], audience: FanOut['audience'] | 'subject'): Promise<void> {
  if (created.length <= PUSH_EACH_UP_TO) {
    for (const row of created) await publishBell(ctx, row.user_id)
    return
  }
  try {
    await bellCache(ctx).invalidateAll()
    // { role: 'USER' } reaches every signed-in page, admins' too: one event either way.
    await ctx.live.publish(BELL_STALE_EVENT, '', { role: audience === 'admins' ? 'ADMIN' : 'USER' })
  } catch (error) {
    // The rows are written; a page that missed this shows the right count on its next load.
    ctx.log.warn(`could not tell open pages about ${created.length} new notifications: ${(error as Error).message}`)
  }
}
