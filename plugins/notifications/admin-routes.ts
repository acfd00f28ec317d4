// /admin/notifications: the site's outbound channels (webhook, Discord, ntfy) with "Send
// test", deliveries that failed or are being retried (with the last error), and the
// defaults every person starts from. Admins may target any http(s) address.
import { NotFound, TIME_ZONES, type Request, type Response } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { ALL_ON, defaults, saveDefaults } from './preferences.ts'
import { emailList, findChannel, lastTestView, saveSiteChoice, siteChannels, KIND_LABELS, MAX_EMAIL_ADDRESSES, SEVERITIES, type ChannelRow } from './channels.ts'
import { describeDigest } from './digest-times.ts'
import { CHANNEL_NOTICES, channelRoutes, type ListOptions, type TargetFormState } from './channel-routes.ts'
import { choiceOf, choiceSummary, readSiteChoice, type SiteChoice } from './site-choice.ts'
import { troubledDeliveries } from './deliveries.ts'
import { choiceForm, eventTypeRows } from './preferences-form.ts'

/** A blank form; summaries default to the zone the viewer reads dates in. */
const emptyForm = (timeZone: string): TargetFormState => ({ values: { kind: 'webhook', name: '', url: '', recipient: '', priority: '', tags: '', addresses: '', digest: 'immediate', digest_at: '08:00', time_zone: timeZone }, fields: {}, error: null })
const NOTICES = { ...CHANNEL_NOTICES, added: 'Channel added. It posts every fact until you choose otherwise.', removed: 'Channel removed.', saved: 'Defaults saved.', chosen: 'The channel\'s choice is saved.' }

export function adminRoutes(ctx: NotificationsContext) {
  const router = ctx.http.router()

  const render = async (req: Request, res: Response, options: ListOptions & { fragment?: string } = {}) => {
    const site = await defaults(ctx.db)
    await ctx.views.pageOrFragment(req, res, {
      page: 'notifications:admin', fragment: options.fragment ?? 'notifications:_admin-channels', title: 'Notifications', status: options.status,
      data: {
        channels: (await siteChannels(ctx.db)).map((c) => ({ ...c, choice: choiceSummary(c.settings ?? {}, ctx.events.types()), digest: c.kind === 'email' ? describeDigest(c.settings ?? {}) : null, lastTest: lastTestView(c, (d) => ctx.http.formatDate(req, d)) })),
        kinds: KIND_LABELS, site: true, deliveries: await troubledDeliveries(ctx.db), zones: TIME_ZONES,
        types: eventTypeRows(ctx, (t) => site.get(t) ?? ALL_ON),
        form: options.form ?? emptyForm(ctx.http.timeZone(req)), tested: options.tested ?? null,
        notice: options.notice !== undefined ? options.notice : ctx.http.takeFlash(req, res, NOTICES),
      },
    })
  }

  router.get('/', (req, res) => render(req, res))

  channelRoutes(ctx, router, {
    owner: () => null,
    page: '/admin/notifications',
    // Admins may post anywhere; a webhook must be signed; a list must hold plain addresses.
    problems: (form): Record<string, string> => {
      if (form.kind === 'webhook' && !form.secret) return { secret: 'A webhook needs a signing secret (the receiver checks X-MediaNest-Signature with it).' }
      if (form.kind !== 'email') return {}
      if (!ctx.mail.configured) return { kind: 'Mail is not set up on this server: set `mail` in the config first (npx medianest mail test checks it).' }
      const list = emailList(form.addresses)
      if (!list.length) return { addresses: 'Give at least one address.' }
      if (list.length > MAX_EMAIL_ADDRESSES) return { addresses: `Give at most ${MAX_EMAIL_ADDRESSES} addresses.` }
      for (const address of list) {
        const problem = ctx.mail.addressProblem(address)
        if (problem) return { addresses: `${address.slice(0, 80)}: ${problem}` }
      }
      return {}
    },
    render: (req, res, options) => render(req, res, { ...options, fragment: 'notifications:_admin-channels' }),
  })

  // What one site channel posts: its own choice of event types and filters.
  const choicePage = async (req: Request, res: Response, channel: ChannelRow, values: SiteChoice, problems: Record<string, string>, status = 200) => {
    await ctx.views.pageOrFragment(req, res, {
      page: 'notifications:site-channel', fragment: 'notifications:_site-channel-choice', title: `What ${channel.name} posts`, status,
      data: { channel, types: eventTypeRows(ctx, () => ALL_ON), plugins: [...new Set(ctx.events.types().map((t) => t.plugin))].sort(), severities: SEVERITIES, values, problems },
    })
  }
  const siteChannel = async (req: Request) => {
    const channel = await findChannel(ctx.db, String(req.params.id), null)
    if (!channel) throw new NotFound('That channel does not exist (it may have been removed).')
    return channel
  }

  router.get('/channels/:id', async (req, res) => {
    const channel = await siteChannel(req)
    await choicePage(req, res, channel, choiceOf(channel.settings ?? {}, ctx.events.types().map((t) => t.event)), {})
  })

  router.post('/channels/:id', async (req, res) => {
    const channel = await siteChannel(req)
    const read = readSiteChoice(req.body ?? {}, ctx.events.types().map((t) => t.event), [...new Set(ctx.events.types().map((t) => t.plugin))])
    if ('problems' in read) return choicePage(req, res, channel, read.values, read.problems, 422)
    await saveSiteChoice(ctx.db, channel.id, read.settings)
    ctx.log.info(`notifications: ${ctx.http.mustViewer(req).id} changed what the site channel ${channel.id} posts`)
    ctx.http.flash(res, 'chosen')
    ctx.http.sendTo(req, res, '/admin/notifications')
  })

  router.post('/defaults', async (req, res) => {
    await saveDefaults(ctx.db, choiceForm(ctx, req.body))
    return ctx.http.done(req, res, { to: '/admin/notifications', notice: 'saved', inPlace: () => render(req, res, { notice: NOTICES.saved, fragment: 'notifications:_defaults-form' }) })
  })
  return router
}
