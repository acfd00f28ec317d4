// notification_deliveries and the outbound send. A delivery is a row first (queued), then
// a core job ('notifications.deliver', one per row, retried with the queue's backoff). The
// row mirrors the job for the admin page: attempts, the last error in words, and 'failed'
// once the attempts are spent. Sending never blocks the inbox: rows are written first.
import { UpstreamError, type JobFailure, type Knex } from 'medianest/plugin-api'
import { mailOut, outcomeError, type HeldRow } from './email-channel.ts'
import { getChannel, openChannel, type ChannelRow, type OpenChannel } from './channels.ts'
import type { NotificationRow } from './notifications.ts'
import { outboundRequest, refusalIn, WORDED_STATUSES, type OutboundMessage } from './outbound-requests.ts'
import type { NotificationsContext } from './plugin-config.ts'

/** What a site delivery posts (it belongs to no one's notification). */
export interface SiteMessage { type: string; title: string; message: string; link: string | null; createdAt: string }

export interface DeliveryRow {
  id: string
  /** A person's own target: the notification it carries; null for a site channel's delivery. */
  notification_id: string | null
  message: SiteMessage | null
  channel_id: string
  fact_key: string
  /** held: waiting for its channel's summary (email-channel.ts); no job until then. */
  status: 'queued' | 'held' | 'sent' | 'failed' | 'skipped'
  attempts: number
  last_error: string | null
  created_at: Date
  updated_at: Date
}

/** A summary channel's deliveries wait for its summary; every other one goes at once. */
const firstStatus = (c: ChannelRow): DeliveryRow['status'] => {
  const settings = typeof c.settings === 'string' ? JSON.parse(c.settings) as ChannelRow['settings'] : c.settings
  return c.kind === 'email' && settings?.digest && settings.digest !== 'immediate' ? 'held' : 'queued'
}

/**
 * Rows for these channels unless the fact already has one there; returns the new rows.
 * The caller queues a job for each 'queued' one; 'held' ones wait for their summary.
 */
export async function queueDeliveries(db: Knex, notification: NotificationRow, channels: ChannelRow[]): Promise<DeliveryRow[]> {
  if (!channels.length) return []
  return db<DeliveryRow>('notification_deliveries')
    .insert(channels.map((c) => ({ notification_id: notification.id, channel_id: c.id, fact_key: notification.fact_key, status: firstStatus(c) })) as Partial<DeliveryRow>[])
    .onConflict(['channel_id', 'fact_key']).ignore()
    .returning('*')
}

/** A site channel's rows for one fact, unless it has one there already; returns the new rows. */
export async function queueSiteDeliveries(db: Knex, factKey: string, message: SiteMessage, channels: ChannelRow[]): Promise<DeliveryRow[]> {
  return db<DeliveryRow>('notification_deliveries')
    .insert(channels.map((c) => ({ notification_id: null, message: JSON.stringify(message), channel_id: c.id, fact_key: factKey, status: firstStatus(c) })) as never)
    .onConflict(['channel_id', 'fact_key']).ignore()
    .returning('*')
}

const absolute = (ctx: NotificationsContext, link: string | null) => (link && link.startsWith('/') && ctx.config.publicUrl ? new URL(link, ctx.config.publicUrl).toString() : link)

export function messageOf(ctx: NotificationsContext, n: NotificationRow, test = false): OutboundMessage {
  return { id: n.id, type: n.type, title: n.title, message: n.message, link: absolute(ctx, n.metadata?.link ?? null), createdAt: new Date(n.created_at).toISOString(), test }
}

/** A site delivery's message; its id is the delivery's, the same on every retry (a receiver's dedupe key). */
function siteMessageOf(ctx: NotificationsContext, d: Pick<DeliveryRow, 'id'> & { message: SiteMessage | unknown }): OutboundMessage {
  const m = (typeof d.message === 'string' ? JSON.parse(d.message) : d.message) as SiteMessage
  return { id: d.id, type: m.type, title: m.title, message: m.message, link: absolute(ctx, m.link), createdAt: m.createdAt, test: false }
}

/** The messages of held deliveries, in their order: a person's from their notification, a site's from the row. */
export async function heldMessages(ctx: NotificationsContext, trx: Knex.Transaction, rows: HeldRow[]): Promise<OutboundMessage[]> {
  const ids = rows.map((r) => r.notification_id).filter((id): id is string => id !== null)
  const notifications = new Map((ids.length ? await trx<NotificationRow>('notifications').whereIn('id', ids) : []).map((n) => [n.id, n]))
  return rows.flatMap((r) => {
    const n = r.notification_id ? notifications.get(r.notification_id) : undefined
    if (n) return [messageOf(ctx, n)]
    return r.message ? [siteMessageOf(ctx, { id: r.id, message: r.message })] : []
  })
}

/**
 * One message to one channel now: a POST, or for email a mail queued with the core.
 * Throws an UpstreamError in words, with the address and secrets hidden.
 */
export async function send(ctx: NotificationsContext, channel: OpenChannel, message: OutboundMessage, signal?: AbortSignal): Promise<void> {
  if (channel.kind === 'email') {
    const outcome = await ctx.db.transaction((trx) => mailOut(ctx, trx, channel, [message]))
    if (!outcome.sent.length) throw new Error(outcomeError(outcome) ?? 'Nobody to mail.')
    return
  }
  const r = outboundRequest(channel, message, ctx.clock.now())
  // A Discord address is its own credential (and an ntfy topic a shared secret, a Telegram
  // path the bot's token): the client reports only the host, in errors, the admin page
  // and the logs.
  const redact = [r.path.length > 1 ? r.path : '', new URL(channel.url).pathname.length > 1 ? new URL(channel.url).pathname : '', channel.secret ?? ''].filter(Boolean)
  const service = `${channel.kind} channel "${channel.name}"`
  const client = ctx.upstream({ service, baseUrl: r.baseUrl, timeoutMs: ctx.config.deliveryTimeoutMs, maxBytes: 64 * 1024, redact })
  const worded = channel.kind === 'telegram' || channel.kind === 'gotify' || channel.kind === 'pushover'
  const answer = await client.request({ method: 'POST', path: r.path, headers: r.headers, body: r.body, signal, ...(worded ? { accept: WORDED_STATUSES } : {}) })
  const refused = worded ? refusalIn(channel.kind, answer.status, answer.data) : null
  if (refused) {
    let why = refused
    for (const secret of redact) why = why.split(secret).join('[redacted]')
    throw new UpstreamError(service, r.baseUrl, why, { upstreamStatus: answer.status })
  }
}

/** The job: safe to run again (a sent row is not sent twice). */
export async function runDelivery(ctx: NotificationsContext, deliveryId: string, job: { attempt: number; signal: AbortSignal }): Promise<void> {
  const row = await ctx.db<DeliveryRow>('notification_deliveries').where({ id: deliveryId }).first()
  if (!row || row.status === 'sent' || row.status === 'skipped') return
  const channelRow = await getChannel(ctx.db, row.channel_id)
  const notification = row.notification_id ? await ctx.db<NotificationRow>('notifications').where({ id: row.notification_id }).first() : null
  const message = notification ? messageOf(ctx, notification) : row.message ? siteMessageOf(ctx, row as DeliveryRow & { message: SiteMessage }) : null
  if (!channelRow || !message || !channelRow.enabled) {
    await ctx.db('notification_deliveries').where({ id: deliveryId }).update({ status: 'skipped', updated_at: ctx.db.fn.now() })
    return
  }
  if (channelRow.kind === 'email') return mailDelivery(ctx, deliveryId, openChannel(ctx.secrets, channelRow), message)
  try {
    await send(ctx, openChannel(ctx.secrets, channelRow), message, job.signal)
    await ctx.db('notification_deliveries').where({ id: deliveryId }).update({ status: 'sent', attempts: job.attempt, updated_at: ctx.db.fn.now() })
  } catch (error) {
    const last = job.attempt >= ctx.config.deliveryAttempts
    const why = (error as Error).message.slice(0, 1000)
    await ctx.db('notification_deliveries').where({ id: deliveryId })
      .update({ status: last ? 'failed' : 'queued', attempts: job.attempt, last_error: why, updated_at: ctx.db.fn.now() })
    throw error
  }
}

/**
 * An email delivery: the mail is queued with the core in the transaction that marks the
 * row, so a job run twice mails once. A refusal (no verified address, the hourly limit)
 * is final, not retried: trying again in a minute would not change it.
 */
async function mailDelivery(ctx: NotificationsContext, deliveryId: string, channel: OpenChannel, message: OutboundMessage): Promise<void> {
  await ctx.db.transaction(async (trx) => {
    const row = await trx<DeliveryRow>('notification_deliveries').where({ id: deliveryId, status: 'queued' }).forUpdate().first()
    if (!row) return
    const outcome = await mailOut(ctx, trx, channel, [message])
    await trx('notification_deliveries').where({ id: deliveryId })
      .update({ status: outcome.sent.length ? 'sent' : 'failed', attempts: row.attempts + 1, last_error: outcomeError(outcome), updated_at: trx.fn.now() })
  })
}

/**
 * The delivery job failed for good without saying so itself (its last attempt timed out,
 * or the process running it died): the admin page must show it failed, not still queued.
 */
export async function deliveryJobFailed(failure: JobFailure<{ deliveryId: string }>): Promise<void> {
  const id = failure.payload?.deliveryId
  if (!id) return
  const marked = await failure.trx('notification_deliveries').where({ id, status: 'queued' })
    .update({ status: 'failed', last_error: failure.error.slice(0, 1000), updated_at: failure.trx.fn.now() })
  if (marked) failure.log.warn(`delivery ${id}: its job failed for good (${failure.error}); marked failed`)
}

export interface DeliveryListItem extends DeliveryRow { channel_name: string; title: string }

/** Failed and still-retrying deliveries of site channels, newest first, for the admin page. */
export async function troubledDeliveries(db: Knex, limit = 50): Promise<DeliveryListItem[]> {
  return db('notification_deliveries as d')
    .join('notification_channels as c', 'c.id', 'd.channel_id')
    .leftJoin('notifications as n', 'n.id', 'd.notification_id')
    .whereNull('c.owner_user_id')
    .whereIn('d.status', ['failed', 'queued'])
    .whereNotNull('d.last_error')
    .orderBy('d.updated_at', 'desc')
    .limit(limit)
    .select('d.*', 'c.name as channel_name', db.raw(`coalesce(n.title, d.message ->> 'title') as title`))
}
