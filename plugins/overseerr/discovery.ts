// Discovery: the rows /overseerr opens on (trending, popular, upcoming), each a page of
// Overseerr's /discover lists. A row's page is kept in this process for
// `discoveryCacheSeconds`, and a fetch in flight is shared, so ten people opening the
// page cost Overseerr one call per row. Only what Overseerr says is kept; who has asked
// for what is read from our table per view. A row that fails is not kept, and says so.
import type { OverseerrClient, SearchPage } from './overseerr-client.ts'
import type { OverseerrContext } from './plugin-config.ts'
import { viewTitles } from './search.ts'

export interface DiscoveryRow { id: string; title: string; path: string; query: Record<string, string> }

export const DISCOVERY_ROWS: readonly DiscoveryRow[] = [
  { id: 'trending', title: 'Trending', path: '/discover/trending', query: {} },
  { id: 'popular-movies', title: 'Popular movies', path: '/discover/movies', query: { sortBy: 'popularity.desc' } },
  { id: 'popular-shows', title: 'Popular shows', path: '/discover/tv', query: { sortBy: 'popularity.desc' } },
  { id: 'upcoming-movies', title: 'Upcoming movies', path: '/discover/movies/upcoming', query: {} },
  { id: 'upcoming-shows', title: 'Upcoming shows', path: '/discover/tv/upcoming', query: {} },
]
export const rowById = (id: string): DiscoveryRow | undefined => DISCOVERY_ROWS.find((r) => r.id === id)

/**
 * Cards in a row on /overseerr: more than a wide screen shows, then "More" (the row's own
 * pages, 20 a page). Every card is bytes on every visit: twenty a row made the page 50 KB, ten make it 25.
 */
export const ROW_CARDS = 10
/** TMDB's lists stop at page 500. */
export const MAX_DISCOVERY_PAGE = 500
/** Kept pages at most: five rows, a few pages each, with room; the oldest goes first. */
const MAX_KEPT = 100

interface Kept { until: number; page: Promise<SearchPage> }
const kept = new WeakMap<OverseerrContext, Map<string, Kept>>()

/** One page of a row, from this process's cache or from Overseerr (one call however many ask at once). */
export function discoverPage(ctx: OverseerrContext, client: OverseerrClient, row: DiscoveryRow, page: number): Promise<SearchPage> {
  let pages = kept.get(ctx)
  if (!pages) kept.set(ctx, (pages = new Map()))
  const key = `${row.id}:${page}:en`
  const now = ctx.clock.nowMs()
  const hit = pages.get(key)
  if (hit && hit.until > now) return hit.page
  const fetched = client.discover(row.path, row.query, page)
  const entry = { until: now + ctx.config.discoveryCacheSeconds * 1000, page: fetched }
  pages.delete(key)
  pages.set(key, entry)
  if (pages.size > MAX_KEPT) pages.delete(pages.keys().next().value!)
  // A failure is not kept: the next view asks again.
  fetched.catch(() => { if (pages.get(key) === entry) pages.delete(key) })
  return fetched
}

/**
 * A row's first page rendered, the same for every viewer (no forms, no token: each card
 * links to its title page), with our open requests' badges. Kept by page-caches.ts.
 */
export async function renderRow(ctx: OverseerrContext, client: OverseerrClient, rowId: string): Promise<string> {
  const row = rowById(rowId)
  if (!row) throw new Error(`no discovery row "${rowId.slice(0, 40)}"`)
  const found = await discoverPage(ctx, client, row, 1)
  const results = await viewTitles(ctx.db, null, found.results.filter((t) => t.mediaType !== 'person').slice(0, ROW_CARDS))
  return ctx.views.render('overseerr:_discovery-row', { row: { ...row, results, more: found.totalPages > 1 || found.results.length > ROW_CARDS } })
}
