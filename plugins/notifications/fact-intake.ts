// Facts become notifications. Subscribed to '*': each event a running plugin declares
// is described in words by its own describe(), sent to its declared audience (a page of
// people at a time, fan-out.ts), filtered by each person's preferences, and written once
// per (fact, person) even though the core may run a delivery twice: a fact's key is the
// core's event id hashed with its name, the same on every replay of one delivery.
import crypto from 'node:crypto'
import { z, type EventDescription, type PublicUser } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { siteChannels, siteChannelTakes } from './channels.ts'
import { queueSiteDeliveries } from './deliveries.ts'
import { deliverTo, fanOutPage, tellBells, type Fact } from './fan-out.ts'

/**
 * One key per fact: the core's event id (API 1.2), the same for every subscriber and on
 * every retry of a delivery, hashed with the event name so it fits the column whatever
 * its form.
 */
export function factKey(event: string, eventId: string): string {
  return crypto.createHash('sha256').update(`${event}\n${eventId}`).digest('hex')
}

/** The one person a subject fact is about, if they can still get it. */
async function subjectOf(ctx: NotificationsContext, payload: Record<string, unknown>): Promise<PublicUser[]> {
  const id = z.uuid().safeParse(payload.userId)
  if (!id.success) return []
  const user = await ctx.users.get(id.data)
  return user && user.status === 'active' ? [user] : []
}

export async function takeFact(ctx: NotificationsContext, event: string, payload: Record<string, unknown>, eventId: string): Promise<void> {
  const type = ctx.events.types().find((t) => t.event === event)
  if (!type) return
  let description: EventDescription | null
  try {
    description = ctx.events.describe(event, payload)
  } catch (error) {
    description = null
    ctx.log.warn(`${event}: describe failed: ${(error as Error).message}`)
  }
  if (!description) {
    // The core logged the throw naming the plugin; this fact is skipped, the rest go on.
    ctx.log.warn(`skipped a notification for "${event}" (${type.plugin}): its describe() gave no message`)
    return
  }
  const key = factKey(event, eventId)
  // The core cleaned the words and the link (1.12): shown as they come.
  const { title, message, link } = description
  await postToSite(ctx, { event, plugin: type.plugin, key, title, message, link, severity: description.severity })
  const fact: Fact = { event, plugin: type.plugin, key, title, message, ...(link ? { link } : {}) }
  if (type.audience === 'admins' || type.audience === 'everyone') {
    // The first page here, the rest in jobs of their own (fan-out.ts).
    await fanOutPage(ctx, { ...fact, audience: type.audience })
    return
  }
  if (type.audience !== 'subject') return
  const recipients = await subjectOf(ctx, payload)
  // The row, its deliveries and their jobs commit together: a crash between them cannot
  // leave a notification whose outbound messages were never queued.
  const created = await ctx.db.transaction((trx) => deliverTo(ctx, trx, fact, recipients))
  await tellBells(ctx, created, 'subject')
}

/**
 * Site channels post each fact they chose once (the deliveries are unique per channel
 * and fact, so a delivery run twice queues nothing new), whatever anyone chose for their
 * own inbox and whoever the fact reached: the message travels on the delivery itself.
 */
async function postToSite(ctx: NotificationsContext, fact: { event: string; plugin: string; key: string; title: string; message: string; link?: string; severity?: string }): Promise<void> {
  const site = (await siteChannels(ctx.db)).filter((c) => c.enabled && siteChannelTakes(c.settings ?? {}, fact))
  if (!site.length) return
  const message = { type: fact.event, title: fact.title, message: fact.message, link: fact.link ?? null, createdAt: ctx.clock.now().toISOString() }
  await ctx.db.transaction(async (trx) => {
    const rows = await queueSiteDeliveries(trx, fact.key, message, site)
    for (const d of rows.filter((r) => r.status === 'queued')) await ctx.jobs.enqueue('deliver', { deliveryId: d.id }, { dedupeKey: `delivery:${d.id}`, trx })
  })
}
