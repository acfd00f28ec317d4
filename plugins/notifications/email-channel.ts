// Email channels, through the core's mail (ctx.mail): a person's own goes to their
// verified address, read when it sends (an address that changed or lost its proof gets
// nothing); a site channel's to its list. Each mail is queued in the same transaction
// that marks its deliveries sent, so a job run twice or a crash between the two sends
// nothing twice and loses nothing. A summary channel holds its deliveries ('held') until
// its hour or its daily time (digest-times.ts), then mails them as one.
import type { Knex } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { getChannel, openChannel, saveEmailList, type ChannelRow, type OpenChannel } from './channels.ts'
import { lastDigestSlot } from './digest-times.ts'
import type { OutboundMessage } from './outbound-requests.ts'

/** Items a summary lists one by one; the rest are counted ("and 40 more"). */
export const DIGEST_ITEMS = 50
/** Deliveries one summary closes; a channel holding more is due again at once. */
const DIGEST_MAX_ROWS = 5000
const UNSUBSCRIBE_AAD = 'notifications:unsubscribe'

export interface MailOutcome { sent: string[]; refused: string[] }

/** Whom a channel mails now, or why nobody. */
async function recipientsOf(ctx: NotificationsContext, trx: Knex.Transaction, channel: OpenChannel): Promise<{ to: string[]; problem: string | null }> {
  if (channel.owner_user_id === null) {
    const to = channel.url.split('\n').filter(Boolean)
    return { to, problem: to.length ? null : 'The list has no address left.' }
  }
  const owner = await ctx.users.get(channel.owner_user_id, { trx })
  if (!owner || owner.status !== 'active') return { to: [], problem: 'Its owner can no longer sign in.' }
  if (!owner.emailVerified) return { to: [], problem: `${owner.email} is not verified: verify it on your account page, then send a test.` }
  return { to: [owner.email], problem: null }
}

/** The link that takes this address off this channel: sealed, so it can neither be forged nor pointed at another channel. */
export function unsubscribeToken(ctx: NotificationsContext, channelId: string, address: string): string {
  return ctx.secrets.encrypt(JSON.stringify([channelId, address]), UNSUBSCRIBE_AAD)
}

export function readUnsubscribeToken(ctx: NotificationsContext, token: string): { channelId: string; address: string } | null {
  if (token.length > 1000) return null
  try {
    const [channelId, address] = JSON.parse(ctx.secrets.decrypt(token, UNSUBSCRIBE_AAD)) as [string, string]
    return typeof channelId === 'string' && typeof address === 'string' ? { channelId, address } : null
  } catch {
    return null
  }
}

/**
 * Stops the mail of one channel to one address: a person's own channel is turned off, a
 * site list loses the address (and is turned off when none is left). Says what it did.
 */
export async function unsubscribe(ctx: NotificationsContext, channelId: string, address: string): Promise<'stopped' | 'already'> {
  return ctx.db.transaction(async (trx) => {
    await ctx.lock(trx, `channel:${channelId}`)
    const row = await getChannel(trx, channelId)
    if (!row || row.kind !== 'email' || !row.enabled) return 'already'
    if (row.owner_user_id !== null) {
      await trx('notification_channels').where({ id: row.id }).update({ enabled: false })
      return 'stopped'
    }
    const list = openChannel(ctx.secrets, row).url.split('\n').filter(Boolean)
    if (!list.includes(address)) return 'already'
    await saveEmailList(trx, ctx.secrets, row.id, list.filter((a) => a !== address))
    return 'stopped'
  })
}

/** One mail with these messages to each of the channel's recipients, queued in `trx`. */
export async function mailOut(ctx: NotificationsContext, trx: Knex.Transaction, channel: OpenChannel, messages: OutboundMessage[], more = 0): Promise<MailOutcome> {
  if (!ctx.mail.configured) return { sent: [], refused: ['Mail is not set up on this server (an admin sets `mail` in the config).'] }
  const { to, problem } = await recipientsOf(ctx, trx, channel)
  if (problem) return { sent: [], refused: [problem] }
  const one = messages.length === 1 && !more
  const subject = one ? messages[0].title : `${messages.length + more} notifications from MediaNest`
  const outcome: MailOutcome = { sent: [], refused: [] }
  // Written for no request: the site's zone, named, so it reads right in anyone's mailbox.
  const shown = messages.map((m) => ({ ...m, when: ctx.http.formatDate(null, new Date(m.createdAt)) }))
  for (const address of to) {
    const unsubscribeUrl = ctx.http.absoluteUrl(`/notifications/unsubscribe/${unsubscribeToken(ctx, channel.id, address)}`)
    const data = { messages: shown, more, one, channel: channel.name, unsubscribeUrl, preferences: ctx.http.absoluteUrl('/notifications/preferences'), inbox: ctx.http.absoluteUrl('/notifications') }
    const [html, text] = await Promise.all([ctx.views.render('notifications:mail/notification', data), ctx.views.render('notifications:mail/notification-text', data)])
    const queued = await ctx.mail.send({ to: address, subject, text, html, ...(unsubscribeUrl ? { unsubscribeUrl } : {}), trx })
    if (queued.queued) outcome.sent.push(address)
    else outcome.refused.push(queued.why === 'rate-limited' ? `${address} has had its most mails for this hour.` : 'Mail is not set up on this server.')
  }
  return outcome
}

/** What the row keeps of an outcome: why some or all did not go, in words. */
export function outcomeError(outcome: MailOutcome): string | null {
  return outcome.refused.length ? outcome.refused.join(' ').slice(0, 1000) : null
}

/**
 * A summary channel's held deliveries, mailed as one. Run as a job per channel and slot;
 * under the channel's lock, so two runs at once cannot both send what it holds.
 */
export async function sendDigest(ctx: NotificationsContext, channelId: string, messageOf: (trx: Knex.Transaction, rows: HeldRow[]) => Promise<OutboundMessage[]>): Promise<void> {
  await ctx.db.transaction(async (trx) => {
    await ctx.lock(trx, `channel:${channelId}`)
    const row = await getChannel(trx, channelId)
    const held = () => trx('notification_deliveries').where({ channel_id: channelId, status: 'held' })
    if (!row || !row.enabled) {
      await held().update({ status: 'skipped', updated_at: trx.fn.now() })
      return
    }
    const rows: HeldRow[] = await held().orderBy('created_at').limit(DIGEST_MAX_ROWS).select('id', 'notification_id', 'message', 'created_at')
    if (!rows.length) return
    const listed = await messageOf(trx, rows.slice(0, DIGEST_ITEMS))
    const more = rows.length - Math.min(rows.length, DIGEST_ITEMS)
    const ids = rows.map((r) => r.id)
    const mark = async (changes: Record<string, unknown>) => {
      for (let i = 0; i < ids.length; i += 1000) {
        await trx('notification_deliveries').whereIn('id', ids.slice(i, i + 1000)).update({ ...changes, updated_at: trx.fn.now() })
      }
    }
    // Every one deleted from its inbox since: no empty summary.
    if (!listed.length && !more) return mark({ status: 'skipped' })
    const outcome = await mailOut(ctx, trx, openChannel(ctx.secrets, row), listed, more)
    await mark({ status: outcome.sent.length ? 'sent' : 'failed', attempts: 1, last_error: outcomeError(outcome) })
    if (outcome.refused.length) ctx.log.warn(`email summary of channel ${channelId}: ${outcomeError(outcome)}`)
  })
}
export interface HeldRow { id: string; notification_id: string | null; message: unknown; created_at: Date }

/**
 * The summary channels due now (something held arrived before their last slot), each
 * with the slot: the digest job's dedupe key, so a slot is mailed once however often this runs.
 */
export async function dueDigests(ctx: NotificationsContext): Promise<Array<{ channelId: string; slot: Date }>> {
  const oldest: Array<{ channel_id: string; oldest: Date | string }> = await ctx.db('notification_deliveries')
    .where({ status: 'held' }).groupBy('channel_id').select('channel_id', ctx.db.raw('min(created_at) as oldest'))
  if (!oldest.length) return []
  const channels = new Map((await ctx.db<ChannelRow>('notification_channels').whereIn('id', oldest.map((o) => o.channel_id))).map((c) => [c.id, c]))
  const now = ctx.clock.now()
  const due: Array<{ channelId: string; slot: Date }> = []
  for (const o of oldest) {
    const channel = channels.get(o.channel_id)
    const settings = typeof channel?.settings === 'string' ? JSON.parse(channel.settings) : channel?.settings ?? {}
    const slot = lastDigestSlot(settings, now)
    // A channel gone or turned to "at once" still empties: its job skips or sends what it held.
    if (!channel || settings.digest === 'immediate' || new Date(o.oldest) < slot) due.push({ channelId: o.channel_id, slot })
  }
  return due
}
