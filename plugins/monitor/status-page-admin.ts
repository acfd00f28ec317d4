// /admin/monitor/status-pages: an admin makes, edits and deletes public status pages
// (errors beside each field, nothing saved). A page starts as a draft: nothing is public
// until "Published" is ticked.
import { NotFound, type Request, type Response, type Router } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import {
  checkStatusPageForm, DEFAULT_GROUP, findStatusPage, formOf, listStatusPages, publicPagesChanged, readStatusPageForm,
  type StatusPageForm, type StatusPageInput,
} from './status-pages.ts'

export const STATUS_PAGE_NOTICES = {
  created: 'The status page is saved.',
  updated: 'The status page is saved.',
  deleted: 'The status page is deleted.',
}
const PATH = '/admin/monitor/status-pages'
const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === '23505'
const SLUG_TAKEN = 'Another status page has this slug: choose another.'

export function statusPageAdminRoutes(ctx: MonitorContext, router: Router): void {
  /** Our own watched services, as the board orders them (a mirror's page is Uptime Kuma's). */
  const watched = async () => (await ctx.db('service_status').whereIn('source', ['service', 'check'])
    .orderByRaw(`case source when 'service' then 0 else 1 end`).orderBy('display_name')
    .select('service_name', 'display_name')) as Array<{ service_name: string; display_name: string }>

  const render = async (req: Request, res: Response, editing: number | null, form: StatusPageForm, problems: Record<string, string>, status = 200) => {
    const services = await watched()
    const pages = await listStatusPages(ctx.db)
    await ctx.views.pageOrFragment(req, res, {
      page: 'monitor:status-pages', fragment: 'monitor:_status-pages', title: 'Status pages', status,
      data: {
        pages: pages.map((p) => ({ id: p.id, slug: p.slug, title: p.title, published: p.published, services: p.groups.reduce((n, g) => n + g.services.length, 0) })),
        editing, form, problems, defaultGroup: DEFAULT_GROUP,
        services: services.map((s, i) => ({ name: s.service_name, label: s.display_name, index: i, checked: form.services.includes(s.service_name), group: form.groupOf[s.service_name] ?? '' })),
        notice: status === 200 ? ctx.http.takeFlash(req, res, STATUS_PAGE_NOTICES) : null,
      },
    })
  }

  const mustFind = async (req: Request) => {
    const id = Number(req.params.id)
    const page = Number.isSafeInteger(id) && id > 0 ? await findStatusPage(ctx.db, { id }) : null
    if (!page) throw new NotFound('There is no such status page (it may have been deleted).')
    return page
  }

  /** Reads and checks the form; answers 422 itself and returns null when it does not hold. */
  const checked = async (req: Request, res: Response, editing: number | null): Promise<{ form: StatusPageForm; page: StatusPageInput } | null> => {
    const services = await watched()
    const form = readStatusPageForm((req.body ?? {}) as Record<string, unknown>, services.map((s) => s.service_name))
    const result = checkStatusPageForm(form, new Set(services.map((s) => s.service_name)))
    if ('page' in result) return { form, page: result.page }
    await render(req, res, editing, form, result.problems, 422)
    return null
  }

  const saved = async (req: Request, res: Response, done: keyof typeof STATUS_PAGE_NOTICES) => {
    await publicPagesChanged(ctx)
    ctx.http.flash(res, done)
    ctx.http.sendTo(req, res, PATH)
  }

  const row = (page: StatusPageInput, by: string) => ({ ...page, groups: JSON.stringify(page.groups), updated_by: by, updated_at: ctx.clock.now() })

  router.get('/status-pages', async (req, res) => render(req, res, null, formOf(null), {}))

  router.post('/status-pages', async (req, res) => {
    const sent = await checked(req, res, null)
    if (!sent) return
    const { form, page } = sent
    try {
      await ctx.db('monitor_status_pages').insert(row(page, ctx.http.mustViewer(req).id))
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
      // The slug's uniqueness is the database's: two admins saving one slug at once get one page.
      return render(req, res, null, form, { slug: SLUG_TAKEN }, 422)
    }
    ctx.log.info(`monitor: ${ctx.http.mustViewer(req).id} made the status page /status/${page.slug}${page.published ? ' (published)' : ' (draft)'}`)
    await saved(req, res, 'created')
  })

  router.get('/status-pages/:id', async (req, res) => {
    const page = await mustFind(req)
    await render(req, res, page.id, formOf(page), {})
  })

  router.post('/status-pages/:id', async (req, res) => {
    const current = await mustFind(req)
    const sent = await checked(req, res, current.id)
    if (!sent) return
    const { form, page } = sent
    try {
      await ctx.db('monitor_status_pages').where({ id: current.id }).update(row(page, ctx.http.mustViewer(req).id))
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
      return render(req, res, current.id, form, { slug: SLUG_TAKEN }, 422)
    }
    ctx.log.info(`monitor: ${ctx.http.mustViewer(req).id} changed the status page /status/${page.slug}${page.published ? ' (published)' : ' (draft)'}`)
    await saved(req, res, 'updated')
  })

  router.post('/status-pages/:id/delete', async (req, res) => {
    const page = await mustFind(req)
    await ctx.db('monitor_status_pages').where({ id: page.id }).del()
    await saved(req, res, 'deleted')
  })
}
