// Public status pages (/status/<slug>): an admin picks services into groups, a title,
// a description and a notice; anyone can read the page without signing in. What the
// page shows is built here from a whitelist (name as the admin wrote it, status word,
// uptime, heartbeat bar, incident times): never an address, a reason or a note.
// Each published page is kept rendered per slug in each process (dropped in every process
// when a status changes or a page is saved, and at most 5 s old), so a crowd opening it,
// or a live nudge refetching it on every open tab, costs one render and no query a view.
import type { Knex, ViewerCache } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import type { Status } from './service-status.ts'
import { heartbeatBar } from './heartbeat-bar.ts'
import { inWords, shown, type DateWriter, type ShownDate } from './board.ts'

export interface StatusPageGroup { name: string; services: string[] }
export interface StatusPageRow {
  id: number
  slug: string
  title: string
  description: string
  notice: string
  groups: StatusPageGroup[]
  show_incidents: boolean
  published: boolean
  updated_at: Date
}
export type StatusPageInput = Pick<StatusPageRow, 'slug' | 'title' | 'description' | 'notice' | 'groups' | 'show_incidents' | 'published'>

const parsed = (r: StatusPageRow): StatusPageRow => ({ ...r, groups: typeof r.groups === 'string' ? JSON.parse(r.groups) : r.groups })

export async function listStatusPages(db: Knex): Promise<StatusPageRow[]> {
  return (await db<StatusPageRow>('monitor_status_pages').orderBy('slug')).map(parsed)
}
export async function findStatusPage(db: Knex, where: { id: number } | { slug: string }): Promise<StatusPageRow | null> {
  const row = await db<StatusPageRow>('monitor_status_pages').where(where).first()
  return row ? parsed(row) : null
}

// ---------- the admin's form

export interface StatusPageForm {
  slug: string
  title: string
  description: string
  notice: string
  /** The services ticked, in the board's order, each with the group typed beside it. */
  services: string[]
  groupOf: Record<string, string>
  show_incidents: boolean
  published: boolean
}

const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '')
const ticked = (v: unknown) => v === '1' || v === 'on' || v === 'true'
const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined || v === '' ? [] : [v]).filter((x): x is string => typeof x === 'string').slice(0, 600)
/** Each ticked service's group comes in `group_<index>` beside its checkbox `show_<index>` (names can hold any character). */
export function readStatusPageForm(body: Record<string, unknown>, watched: string[]): StatusPageForm {
  const services: string[] = []
  const groupOf: Record<string, string> = {}
  const shown = new Set(list(body.services))
  watched.forEach((name, i) => {
    groupOf[name] = text(body[`group_${i}`], 100).trim()
    if (shown.has(name)) services.push(name)
  })
  // A ticked name the admin cannot have seen (a crafted post, a service gone meanwhile) is kept to be refused.
  for (const name of shown) if (!watched.includes(name)) services.push(name)
  return {
    slug: text(body.slug, 300).trim(), title: text(body.title, 300).trim(), description: text(body.description, 5000).trim(),
    notice: text(body.notice, 3000).trim(), services, groupOf, show_incidents: ticked(body.show_incidents), published: ticked(body.published),
  }
}

export const DEFAULT_GROUP = 'Services'
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/
const LINE_CONTROL = /[\u0000-\u001f\u007f]/

/** Why a slug cannot be a page's address, in words; null when it can. */
export function slugProblem(slug: string): string | null {
  if (!slug) return 'Give the page a slug, like home: its address is then /status/home.'
  if (slug.length > 40) return `Use at most 40 characters (this one has ${slug.length}).`
  if (slug.includes('/') || slug.includes('\\')) return 'A slug is one part of the address: no "/".'
  if (slug.includes('.')) return 'No dots: lower-case letters, digits and dashes only.'
  if (/[A-Z]/.test(slug)) return `Use lower case: "${slug.toLowerCase().slice(0, 40)}".`
  if (!SLUG.test(slug)) return 'Use lower-case letters, digits and dashes, starting and ending with a letter or digit.'
  return null
}

/** The page the form describes, or each field's problem. `watched`: the services that can be shown. */
export function checkStatusPageForm(form: StatusPageForm, watched: Set<string>): { page: StatusPageInput } | { problems: Record<string, string> } {
  const problems: Record<string, string> = {}
  const slug = slugProblem(form.slug)
  if (slug) problems.slug = slug
  if (!form.title) problems.title = 'Give the page a title, like "Our media server".'
  else if (form.title.length > 120 || LINE_CONTROL.test(form.title)) problems.title = 'Use at most 120 characters on one line.'
  if (form.description.length > 2000 || CONTROL.test(form.description)) problems.description = 'Use at most 2000 characters, without control characters.'
  if (form.notice.length > 1000 || CONTROL.test(form.notice)) problems.notice = 'Use at most 1000 characters, without control characters.'
  const unknown = form.services.find((s) => !watched.has(s))
  if (!form.services.length) problems.services = 'Choose at least one service: a status page shows services.'
  else if (unknown !== undefined) problems.services = `"${unknown.slice(0, 64)}" is not a watched service.`
  const groups: StatusPageGroup[] = []
  for (const name of form.services) {
    const group = form.groupOf[name] || DEFAULT_GROUP
    if (group.length > 60 || LINE_CONTROL.test(group)) {
      problems.services = 'Keep each group name under 60 characters, on one line.'
      break
    }
    const found = groups.find((g) => g.name === group)
    if (found) found.services.push(name)
    else groups.push({ name: group, services: [name] })
  }
  if (Object.keys(problems).length) return { problems }
  return { page: { slug: form.slug, title: form.title, description: form.description, notice: form.notice, groups, show_incidents: form.show_incidents, published: form.published } }
}

export function formOf(page: StatusPageRow | null): StatusPageForm {
  if (!page) return { slug: '', title: '', description: '', notice: '', services: [], groupOf: {}, show_incidents: false, published: false }
  const groupOf: Record<string, string> = {}
  for (const g of page.groups) for (const s of g.services) groupOf[s] = g.name
  return {
    slug: page.slug, title: page.title, description: page.description, notice: page.notice,
    services: page.groups.flatMap((g) => g.services), groupOf, show_incidents: page.show_incidents, published: page.published,
  }
}

// ---------- what the public sees

interface PublicRow { service_name: string; display_name: string; status: Status | null; uptime_24h: number | null; uptime_30d: number | null; heartbeats: string }

const pct = (v: number | null) => (v === null ? '–' : `${(Math.floor(v * 100) / 100).toFixed(2)} %`)
export const PUBLIC_WORDS: Record<string, string> = {
  up: 'Up', degraded: 'Slow', pending: 'Up, retrying a failed check', down: 'Down', unknown: 'Unknown', maintenance: 'Maintenance', paused: 'Paused',
}

/**
 * The page's data: only what the admin chose, and of each service only what anyone may see.
 * One render for every visitor: `write` writes dates in the site's zone, named (ctx.http.formatDate(null, …)).
 */
export async function publicPageData(db: Knex, page: StatusPageRow, now: Date, write: DateWriter) {
  const names = page.groups.flatMap((g) => g.services)
  const rows = new Map<string, PublicRow>((await db('service_status').whereIn('service_name', names)
    .select('service_name', 'display_name', 'status', 'uptime_24h', 'uptime_30d', 'heartbeats') as PublicRow[]).map((r) => [r.service_name, r]))
  const groups = page.groups.map((g) => ({
    name: g.name,
    services: g.services.filter((s) => rows.has(s)).map((s) => {
      const r = rows.get(s)!
      return {
        name: r.display_name, badge: badgePath(page.slug, s), status: r.status, word: r.status ? PUBLIC_WORDS[r.status] : 'Not checked yet',
        d1: pct(r.uptime_24h), d30: pct(r.uptime_30d), heartbeats: heartbeatBar(r.heartbeats ?? ''),
      }
    }),
  })).filter((g) => g.services.length)
  const all = groups.flatMap((g) => g.services)
  const down = all.filter((s) => s.status === 'down').length
  const shaky = all.filter((s) => s.status === 'degraded' || s.status === 'pending' || s.status === 'unknown').length
  const resting = all.filter((s) => s.status === 'maintenance').length
  const overall = down ? { cls: 'bad', text: `${down} of ${all.length} ${all.length === 1 ? 'service' : 'services'} ${down === 1 ? 'is' : 'are'} down.` }
    : shaky ? { cls: 'warn', text: 'Some services are slow or being retried.' }
      : resting ? { cls: 'info', text: `All services up, ${resting} in maintenance.` }
        : { cls: 'ok', text: 'All services are up.' }
  let incidents: Array<{ name: string; type: string; from: ShownDate; lasted: string; open: boolean }> = []
  if (page.show_incidents) {
    const since = new Date(now.getTime() - 7 * 86_400_000)
    const found: Array<{ service_name: string; incident_type: string; status: string; created_at: Date; resolved_at: Date | null }> = await db('service_incidents')
      .whereIn('service_name', names).where((q) => q.where('created_at', '>=', since).orWhere('status', 'open'))
      .orderBy('created_at', 'desc').limit(20).select('service_name', 'incident_type', 'status', 'created_at', 'resolved_at')
    incidents = found.filter((i) => rows.has(i.service_name)).map((i) => ({
      name: rows.get(i.service_name)!.display_name, type: i.incident_type === 'down' ? 'down' : 'slow', open: i.status === 'open',
      from: shown(i.created_at, write),
      lasted: inWords((i.resolved_at ? new Date(i.resolved_at).getTime() : now.getTime()) - new Date(i.created_at).getTime()),
    }))
  }
  return {
    slug: page.slug, title: page.title, description: page.description, notice: page.notice, published: page.published,
    groups, overall, showIncidents: page.show_incidents, incidents, updatedAt: shown(now, write),
    badges: new Map([...rows.values()].map((r) => [r.service_name, { name: r.display_name, status: r.status }])),
  }
}

export const badgePath = (slug: string, service: string) => `/status/${slug}/badge/${encodeURIComponent(service)}.svg`

// ---------- the cache, per process

export const PUBLIC_CHANGED_EVENT = 'monitor-public-changed'

/** A published page as every visitor gets it, and its badges' facts: a view costs no query. */
export interface PublicView {
  page: StatusPageRow
  /** Encoded once per render, not once per visitor. */
  html: Buffer
  badges: Map<string, { name: string; status: Status | null }>
}

const caches = new WeakMap<MonitorContext, ViewerCache<PublicView | null>>()

/**
 * Each published page, by slug, as rendered (ctx.viewerCache: dropped in every process when
 * a status changes or a page is saved, and at most 5 s old, so its figures stay fresh).
 * Made in register(), as every viewer cache is; null: no published page has that slug.
 */
export function publicPages(ctx: MonitorContext): ViewerCache<PublicView | null> {
  let cache = caches.get(ctx)
  if (!cache) {
    cache = ctx.viewerCache<PublicView | null>('status-pages', {
      maxAge: '5s',
      load: async (slug) => {
        const page = await findStatusPage(ctx.db, { slug })
        if (!page?.published) return null
        return renderPublic(ctx, page)
      },
    })
    caches.set(ctx, cache)
  }
  return cache
}

export async function renderPublic(ctx: MonitorContext, page: StatusPageRow): Promise<PublicView> {
  // The badges come from the same read of the status rows as the page.
  const data = await publicPageData(ctx.db, page, ctx.clock.now(), (d, style) => ctx.http.formatDate(null, d, style))
  return { page, html: Buffer.from(await ctx.views.render('monitor:_status-page', data)), badges: data.badges }
}

/** After a status changed or a page was saved: every process renders afresh, and open public pages refetch. */
export async function publicPagesChanged(ctx: MonitorContext): Promise<void> {
  await publicPages(ctx).invalidateAll()
  const any = await ctx.db('monitor_status_pages').where({ published: true }).first('id')
  // Nothing about anyone is in it: each page refetches itself (from the render above).
  if (any) await ctx.live.publish(PUBLIC_CHANGED_EVENT, '', { public: true })
}
