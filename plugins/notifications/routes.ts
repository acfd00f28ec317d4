// /notifications: the inbox (keyset pages, unread filter), mark read / all, delete, the
// bell's drop-down, preferences and a person's own outbound targets. Every query filters
// by the viewer: another person's id answers 404 and changes nothing.
import { NotFound, z, type Request } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import { deleteOwn, findOwn, inboxPage, markAllRead, markRead, type NotificationRow, type PageCursor } from './notifications.ts'
import { bellData, publishBell } from './bell.ts'
import { preferencesRoutes } from './preferences-routes.ts'
import { unsubscribeRoutes } from './unsubscribe-routes.ts'

const uuid = z.uuid()
const listQuery = z.object({
  filter: z.enum(['all', 'unread'], 'Choose all or unread.').default('all'),
  before: z.string().max(200).regex(/^[A-Za-z0-9_-]*$/, 'That page link is not valid.').optional(),
})

export function encodeCursor(c: PageCursor): string {
  return Buffer.from(`${new Date(c.createdAt).toISOString()}|${c.id}`).toString('base64url')
}
function decodeCursor(raw: string | undefined): PageCursor | null {
  if (!raw) return null
  const [at, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|')
  const date = new Date(at ?? '')
  if (Number.isNaN(date.getTime()) || !uuid.safeParse(id).success) throw new NotFound('That page of notifications does not exist; start from the first page.')
  return { createdAt: date, id: id! }
}


export function notificationsRoutes(ctx: NotificationsContext) {
  const router = ctx.http.router()
  // Before the sign-in guard: an unsubscribe link is followed from a mail, signed in or not.
  unsubscribeRoutes(ctx, router)
  router.use(ctx.http.requireUser)

  /** A notification as its row shows it: when it came, in the reader's zone. */
  const shown = (req: Request, n: NotificationRow) => {
    const at = new Date(n.created_at)
    return { ...n, when: { iso: at.toISOString(), text: ctx.http.formatDate(req, at) } }
  }

  router.get('/', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const q = ctx.http.parse(listQuery, req.query)
    const after = decodeCursor(q.before)
    const page = q.filter === 'all' && !after
      ? (await bellData(ctx, viewer.id)).firstPage
      : await inboxPage(ctx.db, viewer.id, { unreadOnly: q.filter === 'unread', after, limit: ctx.config.pageSize })
    await ctx.views.pageOrFragment(req, res, {
      page: 'notifications:index', fragment: 'notifications:_list', title: 'Notifications',
      data: { filter: q.filter, rows: page.rows.map((n) => shown(req, n)), next: page.next ? encodeCursor(page.next) : null, notice: ctx.http.takeFlash(req, res, NOTICES) },
    })
  })

  // The bell's drop-down as a fragment; a page of its own without JavaScript.
  router.get('/latest', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    await ctx.views.pageOrFragment(req, res, { page: 'notifications:latest', fragment: 'notifications:_bell-latest', title: 'Latest notifications', data: await bellData(ctx, viewer.id) })
  })

  // The bell's count and list as live partials, for a page told its bell is stale; the
  // latest five as a page of their own without JavaScript.
  router.get('/bell', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    await ctx.views.pageOrFragment(req, res, { page: 'notifications:latest', fragment: 'notifications:_bell-live', title: 'Latest notifications', data: await bellData(ctx, viewer.id) })
  })

  router.post('/read-all', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const n = await markAllRead(ctx.db, viewer.id)
    await publishBell(ctx, viewer.id)
    return ctx.http.done(req, res, {
      to: '/notifications', notice: n ? 'allRead' : 'noneUnread',
      inPlace: async () => {
        const page = await inboxPage(ctx.db, viewer.id, { unreadOnly: false, after: null, limit: ctx.config.pageSize })
        return ctx.views.pageOrFragment(req, res, { page: 'notifications:index', fragment: 'notifications:_list', title: 'Notifications', data: { filter: 'all', rows: page.rows.map((n) => shown(req, n)), next: page.next ? encodeCursor(page.next) : null, notice: n ? NOTICES.allRead : NOTICES.noneUnread } })
      },
    })
  })

  router.post('/:id/read', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const id = String(req.params.id)
    const row = uuid.safeParse(id).success ? await findOwn(ctx.db, viewer.id, id) : null
    if (!row) throw new NotFound('That notification does not exist (it may have been deleted).')
    if (await markRead(ctx.db, viewer.id, id)) await publishBell(ctx, viewer.id)
    return ctx.http.done(req, res, {
      to: '/notifications',
      inPlace: async () => ctx.views.pageOrFragment(req, res, { page: 'notifications:index', fragment: 'notifications:_row', data: { n: shown(req, (await findOwn(ctx.db, viewer.id, id))!) } }),
    })
  })

  router.post('/:id/delete', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const id = String(req.params.id)
    if (!uuid.safeParse(id).success || !(await deleteOwn(ctx.db, viewer.id, id))) throw new NotFound('That notification does not exist (it may have been deleted).')
    await publishBell(ctx, viewer.id)
    // In place, the row is swapped for nothing: it is gone.
    return ctx.http.done(req, res, { to: '/notifications', notice: 'deleted', inPlace: () => res.type('html').send('') })
  })

  router.use('/preferences', preferencesRoutes(ctx))
  return router
}

export const NOTICES = {
  allRead: 'Every notification is marked read.',
  noneUnread: 'Nothing was unread.',
  deleted: 'Notification deleted.',
}
