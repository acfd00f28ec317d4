// /notifications/preferences: per event type, in-app and outbound on/off (every type the
// running plugins declare, a community plugin's too), and the person's own Discord/ntfy
// targets (capped, on the hosts the admin allows), each with "Send test".
import { BadInput, NotFound, type Request, type Response } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { ALL_ON, defaults, ownChoices, saveOwn, type Choice } from './preferences.ts'
import { channelForm, countOwn, createChannel, deleteChannel, findChannel, ownChannels, openChannel, userTargetProblems, KIND_LABELS, type ChannelForm } from './channels.ts'
import { send } from './deliveries.ts'
import { testMessage } from './test-message.ts'
import { choiceForm, eventTypeRows } from './preferences-form.ts'

interface TargetFormState { values: Record<string, string>; fields: Record<string, string>; error: string | null }
const emptyTarget = (): TargetFormState => ({ values: { kind: 'discord', name: '', url: '', priority: '', tags: '' }, fields: {}, error: null })

const NOTICES = { saved: 'Preferences saved.', added: 'Target added.', removed: 'Target removed.' }

export function preferencesRoutes(ctx: NotificationsContext) {
  const router = ctx.http.router()

  const render = async (req: Request, res: Response, options: { status?: number; target?: TargetFormState; notice?: string | null; testResult?: { ok: boolean; message: string } | null; fragment?: string } = {}) => {
    const viewer = ctx.http.mustViewer(req)
    const [own, site, channels] = await Promise.all([ownChoices(ctx.db, viewer.id), defaults(ctx.db), ownChannels(ctx.db, viewer.id)])
    await ctx.views.pageOrFragment(req, res, {
      page: 'notifications:preferences', fragment: options.fragment ?? 'notifications:_preferences-form', title: 'Notification preferences', status: options.status,
      data: {
        types: eventTypeRows(ctx, (t) => own.get(t) ?? site.get(t) ?? ALL_ON, viewer.role),
        channels, kinds: { discord: KIND_LABELS.discord, ntfy: KIND_LABELS.ntfy },
        allowedHosts: ctx.config.userTargetHosts, cap: ctx.config.maxChannelsPerUser,
        target: options.target ?? emptyTarget(), testResult: options.testResult ?? null,
        notice: options.notice !== undefined ? options.notice : ctx.http.takeFlash(req, res, NOTICES),
      },
    })
  }

  router.get('/', (req, res) => render(req, res))

  router.post('/', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const choices: Map<string, Choice> = choiceForm(ctx, req.body, viewer.role)
    await saveOwn(ctx.db, viewer.id, choices)
    if (req.get('HX-Request') === 'true') return render(req, res, { notice: NOTICES.saved })
    ctx.http.flash(res, 'saved')
    res.redirect(303, '/notifications/preferences')
  })

  router.post('/channels', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const values = Object.fromEntries(['kind', 'name', 'url', 'priority', 'tags'].map((k) => [k, typeof req.body?.[k] === 'string' ? String(req.body[k]).slice(0, 2000) : '']))
    const checked = ctx.http.validate(channelForm, req.body)
    const fields: Record<string, string> = checked.ok ? userTargetProblems(checked.data as ChannelForm, ctx.config) : checked.fields
    if (!checked.ok || Object.keys(fields).length) {
      return render(req, res, { status: 422, target: { values, fields, error: checked.ok ? 'Check the target.' : checked.message }, fragment: 'notifications:_own-channels', notice: null })
    }
    // Counted under the person's lock: targets added at once (two tabs, two processes) take turns, so the cap holds.
    const added = await ctx.db.transaction(async (trx) => {
      await ctx.lock(trx, `targets:${viewer.id}`)
      if ((await countOwn(trx, viewer.id)) >= ctx.config.maxChannelsPerUser) return false
      await createChannel(trx, ctx.secrets, viewer.id, checked.data as ChannelForm)
      return true
    })
    if (!added) {
      return render(req, res, { status: 422, target: { values, fields: { url: `You have ${ctx.config.maxChannelsPerUser} targets already; remove one first.` }, error: 'Too many targets.' }, fragment: 'notifications:_own-channels', notice: null })
    }
    if (req.get('HX-Request') === 'true') return render(req, res, { notice: NOTICES.added, fragment: 'notifications:_own-channels' })
    ctx.http.flash(res, 'added')
    res.redirect(303, '/notifications/preferences')
  })

  router.post('/channels/:id/delete', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const channel = await findChannel(ctx.db, String(req.params.id), viewer.id)
    if (!channel) throw new NotFound('That target does not exist (it may have been removed).')
    await deleteChannel(ctx.db, channel.id)
    if (req.get('HX-Request') === 'true') return render(req, res, { notice: NOTICES.removed, fragment: 'notifications:_own-channels' })
    ctx.http.flash(res, 'removed')
    res.redirect(303, '/notifications/preferences')
  })

  router.post('/channels/:id/test', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const channel = await findChannel(ctx.db, String(req.params.id), viewer.id)
    if (!channel) throw new NotFound('That target does not exist (it may have been removed).')
    const result = await trySend(ctx, channel)
    await render(req, res, { testResult: result, fragment: 'notifications:_own-channels', notice: null })
  })
  return router
}

/** "Send test": one POST now, its outcome in words (never a job: the person waits for it). */
export async function trySend(ctx: NotificationsContext, channel: Parameters<typeof openChannel>[1]): Promise<{ ok: boolean; message: string }> {
  try {
    await send(ctx, openChannel(ctx.secrets, channel), testMessage(ctx.clock.now()), AbortSignal.timeout(ctx.config.deliveryTimeoutMs + 1000))
    return { ok: true, message: `Sent a test message to “${channel.name}”.` }
  } catch (error) {
    if (error instanceof BadInput) throw error
    return { ok: false, message: `The test to “${channel.name}” failed: ${(error as Error).message}` }
  }
}
