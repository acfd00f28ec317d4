// Facts become notifications. Subscribed to '*': each event a running plugin declares
// is described in words by its own describe(), sent to its declared audience, filtered by
// each person's preferences, and written once per (fact, person) even though the core may
// run a delivery twice. A fact's key is a hash of its name, emission time and payload:
// the same delivery replayed has the same key; two emissions differ in time.
import crypto from 'node:crypto'
import { z, type EventDescription, type PublicUser } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { insertNotification, type NotificationRow } from './notifications.ts'
import { choicesFor } from './preferences.ts'
import { ownChannels, siteChannels, siteChannelTakes, type ChannelRow } from './channels.ts'
import { queueDeliveries, queueSiteDeliveries } from './deliveries.ts'
import { publishBell } from './bell.ts'

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g

/**
 * One key per fact: the core's event id (API 1.2), the same for every subscriber and on
 * every retry of a delivery, hashed with the event name so it fits the column whatever
 * its form.
 */
export function factKey(event: string, eventId: string): string {
  return crypto.createHash('sha256').update(`${event}\n${eventId}`).digest('hex')
}

/** Our paths ('/x', not '//x') and http(s) addresses only; anything else never reaches an href. */
export function safeLink(link: unknown): string | undefined {
  if (typeof link !== 'string' || link.length > 2000) return undefined
  if (/^\/(?![/\\])/.test(link) && !/[\s\\]/.test(link)) return link
  try {
    const u = new URL(link)
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined
  } catch { return undefined }
}

function clean(text: string, max: number): string {
  const t = text.replace(CONTROL, '').trim()
  return t.length > max ? `${t.slice(0, max - 1)}…` : t
}

async function audienceOf(ctx: NotificationsContext, audience: string, payload: Record<string, unknown>): Promise<PublicUser[]> {
  if (audience === 'subject') {
    const id = z.uuid().safeParse(payload.userId)
    if (!id.success) return []
    const user = await ctx.users.get(id.data)
    return user && user.status === 'active' ? [user] : []
  }
  if (audience === 'admins') return ctx.users.list({ role: 'ADMIN', status: 'active' })
  if (audience === 'everyone') return ctx.users.list({ status: 'active' })
  return []
}

export async function takeFact(ctx: NotificationsContext, event: string, payload: Record<string, unknown>, eventId: string): Promise<NotificationRow[]> {
  const type = ctx.events.types().find((t) => t.event === event)
  if (!type) return []
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
    return []
  }
  const key = factKey(event, eventId)
  const title = clean(String(description.title ?? type.title), 200) || type.title
  const message = clean(String(description.message ?? ''), 2000)
  const link = safeLink(description.link)
  await postToSite(ctx, { event, plugin: type.plugin, key, title, message, link, severity: description.severity })
  const recipients = await audienceOf(ctx, type.audience, payload)
  if (!recipients.length) return []
  const choices = await choicesFor(ctx.db, event, recipients.map((u) => u.id))
  const created: NotificationRow[] = []
  for (const user of recipients) {
    const choice = choices.get(user.id)!
    if (!choice.inApp) continue
    // The row, its deliveries and their jobs commit together: a crash between them cannot
    // leave a notification whose outbound messages were never queued.
    const row = await ctx.db.transaction(async (trx) => {
      const n = await insertNotification(trx, {
        userId: user.id, type: event, title, message, factKey: key,
        metadata: { ...(link ? { link } : {}), plugin: type.plugin },
      })
      if (!n) return null
      if (choice.outbound) {
        const own = (await ownChannels(trx, user.id)).filter((c) => c.enabled)
        await enqueue(ctx, trx, n, own)
      }
      return n
    })
    if (row) created.push(row)
  }
  for (const row of created) await publishBell(ctx, row.user_id)
  return created
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
    for (const d of rows) await ctx.jobs.enqueue('deliver', { deliveryId: d.id }, { dedupeKey: `delivery:${d.id}`, trx })
  })
}

async function enqueue(ctx: NotificationsContext, trx: Parameters<Parameters<NotificationsContext['db']['transaction']>[0]>[0], n: NotificationRow, channels: ChannelRow[]): Promise<void> {
  for (const d of await queueDeliveries(trx, n, channels)) {
    await ctx.jobs.enqueue('deliver', { deliveryId: d.id }, { dedupeKey: `delivery:${d.id}`, trx })
  }
}
