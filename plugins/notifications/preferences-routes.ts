// /notifications/preferences: per event type, in-app and outbound on/off (every type the
// running plugins declare, a community plugin's too), and the person's own Discord/ntfy
// targets (capped, on the hosts the admin allows), each with "Send test".
import { TIME_ZONES, type Request, type Response } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { ALL_ON, defaults, ownChoices, saveOwn, type Choice } from './preferences.ts'
import { lastTestView, ownChannels, userTargetProblems, KIND_LABELS, PERSONAL_KINDS } from './channels.ts'
import { CHANNEL_NOTICES, channelRoutes, type ListOptions, type TargetFormState } from './channel-routes.ts'
import { choiceForm, eventTypeRows } from './preferences-form.ts'
import { describeDigest } from './digest-times.ts'

/** A blank form; summaries default to the zone the viewer reads dates in. */
const emptyTarget = (timeZone: string): TargetFormState => ({ values: { kind: 'discord', name: '', url: '', recipient: '', priority: '', tags: '', addresses: '', digest: 'immediate', digest_at: '08:00', time_zone: timeZone }, fields: {}, error: null })

const NOTICES = { ...CHANNEL_NOTICES, saved: 'Preferences saved.', added: 'Target added.', removed: 'Target removed.' }
const ABOUT_TARGETS = new Set<string>([NOTICES.added, NOTICES.removed, NOTICES.tested])

/** A notice about the targets shows (and takes the focus) beside them on the whole page; the others above the preferences. */
const placed = (notice: string | null, fragment: string | undefined) =>
  fragment || !notice || !ABOUT_TARGETS.has(notice) ? { notice, targetsNotice: null } : { notice: null, targetsNotice: notice }

export function preferencesRoutes(ctx: NotificationsContext) {
  const router = ctx.http.router()

  const emailVerified = async (userId: string) => (await ctx.users.get(userId))?.emailVerified === true

  const render = async (req: Request, res: Response, options: ListOptions & { fragment?: string } = {}) => {
    const viewer = ctx.http.mustViewer(req)
    const [own, site, channels] = await Promise.all([ownChoices(ctx.db, viewer.id), defaults(ctx.db), ownChannels(ctx.db, viewer.id)])
    await ctx.views.pageOrFragment(req, res, {
      page: 'notifications:preferences', fragment: options.fragment ?? 'notifications:_preferences-form', title: 'Notification preferences', status: options.status,
      data: {
        types: eventTypeRows(ctx, (t) => own.get(t) ?? site.get(t) ?? ALL_ON, viewer.role),
        // Only the kinds with a host allowed: Gotify, self-hosted, waits for the admin to name one.
        channels: channels.map((c) => ({ ...c, digest: c.kind === 'email' ? describeDigest(c.settings ?? {}) : null, lastTest: lastTestView(c, (d) => ctx.http.formatDate(req, d)) })),
        kinds: Object.fromEntries(PERSONAL_KINDS.filter((k) => (k === 'email' ? ctx.mail.configured : ctx.config.userTargetHosts[k].length)).map((k) => [k, KIND_LABELS[k]])),
        email: { address: viewer.email, verified: await emailVerified(viewer.id) }, zones: TIME_ZONES,
        allowedHosts: ctx.config.userTargetHosts, cap: ctx.config.maxChannelsPerUser,
        target: options.form ?? emptyTarget(ctx.http.timeZone(req)), tested: options.tested ?? null,
        ...placed(options.notice !== undefined ? options.notice : ctx.http.takeFlash(req, res, NOTICES), options.fragment),
      },
    })
  }

  router.get('/', (req, res) => render(req, res))

  router.post('/', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const choices: Map<string, Choice> = choiceForm(ctx, req.body, viewer.role)
    await saveOwn(ctx.db, viewer.id, choices)
    return ctx.http.done(req, res, { to: '/notifications/preferences', notice: 'saved', inPlace: () => render(req, res, { notice: NOTICES.saved }) })
  })

  channelRoutes(ctx, router, {
    owner: (req) => ctx.http.mustViewer(req).id,
    page: '/notifications/preferences',
    // No one may make the server POST into the local network: Discord or ntfy on the admin's hosts only.
    // Mail goes only to the person's own address, once they proved it reaches them.
    async problems(form, req) {
      if (form.kind !== 'email') return userTargetProblems(form, ctx.config)
      if (!ctx.mail.configured) return { kind: 'Mail is not set up on this server: choose another kind, or ask an admin.' }
      if (!(await emailVerified(ctx.http.mustViewer(req).id))) return { kind: 'Verify your email address first (your account page sends the link), then add email.' }
      return {}
    },
    cap: ctx.config.maxChannelsPerUser,
    render: (req, res, options) => render(req, res, { ...options, fragment: 'notifications:_own-channels' }),
  })
  return router
}
