// Add, remove and "Send test" for outbound channels: one implementation for the site's
// channels (/admin/notifications, admins) and a person's own targets
// (/notifications/preferences). What differs is the scope: whose channels they are,
// which extra rules a new one must pass, the cap, and the page they are listed on.
// With htmx each action answers the list in place; without, it redirects back to the
// page with a one-time notice (a reload neither adds twice nor sends another test).
import { BadInput, NotFound, type Request, type Response, type Router } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { channelForm, countOwn, createChannel, deleteChannel, findChannel, kindProblems, openChannel, type ChannelForm, type ChannelRow } from './channels.ts'
import { send } from './deliveries.ts'
import { testMessage } from './test-message.ts'

export interface TargetFormState { values: Record<string, string>; fields: Record<string, string>; error: string | null }
export interface ListOptions { status?: number; form?: TargetFormState; notice?: string | null; tested?: string | null }

export interface ChannelScope {
  /** null: the site's channels (admins); a user id: that person's own targets. */
  owner(req: Request): string | null
  /** The page they are listed on: where a change without JavaScript lands. */
  page: string
  /** Rules a new channel of this scope must pass beyond the form's own, by field. */
  problems(form: ChannelForm, req: Request): Record<string, string> | Promise<Record<string, string>>
  /** Most channels this owner may have (checked under the owner's lock); none for the site. */
  cap?: number
  /** The list and its form, again: after a change with htmx, or refused with 422. */
  render(req: Request, res: Response, options: ListOptions): Promise<void>
}

export const CHANNEL_NOTICES = { added: 'Added.', removed: 'Removed.', tested: 'Test done: its result is beside the channel.' }
const FIELDS = ['kind', 'name', 'url', 'recipient', 'priority', 'tags', 'addresses', 'digest', 'digest_at', 'time_zone'] as const

export function channelRoutes(ctx: NotificationsContext, router: Router, scope: ChannelScope): void {
  const done = async (req: Request, res: Response, notice: keyof typeof CHANNEL_NOTICES, tested: string | null = null) => {
    return ctx.http.done(req, res, { to: tested ? `${scope.page}#notifications-channel-${tested}` : scope.page, notice, inPlace: () => scope.render(req, res, { notice: tested ? null : CHANNEL_NOTICES[notice], tested }) })
  }
  const mine = async (req: Request) => {
    const channel = await findChannel(ctx.db, String(req.params.id), scope.owner(req))
    if (!channel) throw new NotFound('That channel does not exist (it may have been removed).')
    return channel
  }

  router.post('/channels', async (req, res) => {
    const values = Object.fromEntries(FIELDS.map((k) => [k, typeof req.body?.[k] === 'string' ? String(req.body[k]).slice(0, k === 'addresses' ? 5000 : 2000) : '']))
    const checked = ctx.http.validate(channelForm, req.body)
    const fields = checked.ok ? { ...kindProblems(checked.data as ChannelForm), ...(await scope.problems(checked.data as ChannelForm, req)) } : checked.fields
    if (!checked.ok || Object.keys(fields).length) {
      return scope.render(req, res, { status: 422, form: { values, fields, error: checked.ok ? 'Check the channel.' : checked.message }, notice: null })
    }
    const owner = scope.owner(req)
    const added = await ctx.db.transaction(async (trx) => {
      if (owner !== null && scope.cap !== undefined) {
        // Counted under the owner's lock: channels added at once (two tabs, two processes) take turns, so the cap holds.
        await ctx.lock(trx, `targets:${owner}`)
        if ((await countOwn(trx, owner)) >= scope.cap) return false
      }
      await createChannel(trx, ctx.secrets, owner, checked.data as ChannelForm)
      return true
    })
    if (!added) {
      return scope.render(req, res, { status: 422, form: { values, fields: { url: `You have ${scope.cap} targets already; remove one first.` }, error: 'Too many targets.' }, notice: null })
    }
    await done(req, res, 'added')
  })

  router.post('/channels/:id/delete', async (req, res) => {
    await deleteChannel(ctx.db, (await mine(req)).id)
    await done(req, res, 'removed')
  })

  router.post('/channels/:id/test', async (req, res) => {
    const channel = await mine(req)
    await trySend(ctx, channel)
    await done(req, res, 'tested', channel.id)
  })
}

/** "Send test": one POST now (never a job: the person waits for it); its outcome is kept beside the channel. */
export async function trySend(ctx: NotificationsContext, channel: ChannelRow): Promise<{ ok: boolean; message: string }> {
  let result: { ok: boolean; message: string }
  try {
    await send(ctx, openChannel(ctx.secrets, channel), testMessage(ctx.clock.now()), AbortSignal.timeout(ctx.config.deliveryTimeoutMs + 1000))
    result = { ok: true, message: channel.kind === 'email' ? `Handed a test mail for “${channel.name}” to the mail server’s queue; it goes out within a minute.` : `Sent a test message to “${channel.name}”.` }
  } catch (error) {
    if (error instanceof BadInput) throw error
    result = { ok: false, message: `The test to “${channel.name}” failed: ${(error as Error).message}` }
  }
  await ctx.db('notification_channels').where({ id: channel.id }).update({ last_test: JSON.stringify({ ...result, at: ctx.clock.now().toISOString() }) })
  return result
}
