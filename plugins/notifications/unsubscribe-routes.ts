// /notifications/unsubscribe/<token>: the link at the foot of every notification mail
// and in its List-Unsubscribe header. Open to people not signed in (a mail is read
// anywhere). GET only asks, so a mail scanner that follows links stops nothing; the
// button's POST (with the page's CSRF token) stops it. The token is sealed: it names one
// channel and one address, and cannot be made up or pointed at another.
import type { Request, Response, Router } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { readUnsubscribeToken, unsubscribe } from './email-channel.ts'
import { getChannel } from './channels.ts'

export function unsubscribeRoutes(ctx: NotificationsContext, router: Router): void {
  const page = async (req: Request, res: Response, state: 'ask' | 'stopped' | 'already' | 'invalid', name: string | null, status = 200) => {
    await ctx.views.pageOrFragment(req, res, {
      page: 'notifications:unsubscribe', fragment: 'notifications:_unsubscribe', title: 'Stop these emails', status,
      data: { state, name, token: String(req.params.token ?? ''), signedIn: Boolean(ctx.http.viewer(req)) },
    })
  }
  const read = async (req: Request) => {
    const target = readUnsubscribeToken(ctx, String(req.params.token ?? ''))
    const channel = target ? await getChannel(ctx.db, target.channelId) : null
    return target && channel && channel.kind === 'email' ? { ...target, channel } : null
  }

  router.get('/unsubscribe/:token', async (req, res) => {
    const found = await read(req)
    if (!found) return page(req, res, 'invalid', null, 404)
    await page(req, res, found.channel.enabled ? 'ask' : 'already', found.channel.name)
  })

  router.post('/unsubscribe/:token', async (req, res) => {
    const found = await read(req)
    if (!found) return page(req, res, 'invalid', null, 404)
    const done = await unsubscribe(ctx, found.channelId, found.address)
    if (done === 'stopped') ctx.log.info(`notifications: an address unsubscribed from email channel ${found.channelId}`)
    await page(req, res, done, found.channel.name)
  })
}
