// The crawl: every page of the install as people get it (all five plugins, a household's
// data), as the owner and as a person. Each page is loaded once and checked in four
// looks (desktop and 390 px, light and dark: the browser resized and its colour scheme
// switched, which is what a reload at that size would show). It must: answer as
// expected (200, or 403 for a person on an admin page), pass axe in every look (no
// serious or critical finding; without JavaScript in two looks, 390 px light and desktop
// dark: the colours and widths are the same with or without it, and axe on a page without
// JavaScript runs in a scripted twin, the crawl's dearest step), fit every width (no sideways scrolling), log no console
// error (a CSP refusal included) and, loaded cold with JavaScript, weigh under 25 KB on
// the wire with everything it fetches (stylesheet, scripts, the dashboard's cards; not posters).
// Shared by four files (a role, JavaScript on or off), so they run in parallel workers.
import type { Browser, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, shareSession } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitFor } from '../support/wait-for.ts'
import { startHousehold, type Household } from '../support/household.ts'

export const FIRST_PAGE_BUDGET = 25 * 1024
const LOOKS = [
  { viewport: { width: 390, height: 844 }, colorScheme: 'light' },
  { viewport: { width: 390, height: 844 }, colorScheme: 'dark' },
  { viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
  { viewport: { width: 1280, height: 800 }, colorScheme: 'dark' },
] as const

/** Every page a person has, in each of its states worth a look (empty, filtered, refused). */
function personPages(h: Household): string[] {
  return ['/', '/overseerr', '/overseerr?q=a', '/overseerr?q=zzzz-nothing', `/overseerr/tv/${h.showTmdbId}`, '/overseerr/movie/9000', `/overseerr/movie/${h.inPlexTmdbId}`, '/overseerr/requests',
    '/overseerr/requests?status=rejected', `/overseerr/requests/${h.requestId}`, '/overseerr/discover/trending', '/youtube', '/monitor', '/monitor/services/plex',
    '/notifications', '/notifications/preferences', '/account', '/account/password', '/account/sessions', '/account/tokens']
}
/** Admin pages a person is refused: the refusal is a page too, and must look as well. */
const REFUSED = ['/admin', '/admin/overseerr', '/admin/overseerr/problems']
/**
 * The owner's: every admin page, and the pages everyone has that show an admin more
 * (the rest render the same for both roles but the header, which every admin page has).
 */
function ownerPages(h: Household): string[] {
  return ['/', '/monitor', '/monitor/services/plex', `/overseerr/requests/${h.requestId}`,
    '/admin', '/admin/guide', '/admin/users', '/admin/users/new', `/admin/users/${h.alex.user.id}`,
    '/admin/services', '/admin/services/new', '/admin/services/new?type=plex', '/admin/errors', '/admin/plugins',
    '/admin/overseerr', '/admin/overseerr?status=all', '/admin/overseerr/problems', '/admin/youtube', '/admin/notifications', '/admin/plex-auth',
    '/admin/plex-auth/servers']
}

/** Every same-site link of the header's menus: a page a plugin adds cannot be left out of the crawl. */
async function headerLinks(page: Page): Promise<string[]> {
  const hrefs = await page.locator('.site-header a[href^="/"]').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''))
  return [...new Set(hrefs.map((href) => href.replace(/[?#].*$/, '')))]
}

/** Each dashboard card as a page of its own (where it links without JavaScript). */
async function widgetPages(page: Page): Promise<string[]> {
  return page.locator('.widget-body[hx-get^="/widgets/"]').evaluateAll((cards) => cards.map((c) => c.getAttribute('hx-get') ?? ''))
}

/** Every problem of every page in one message: a crawl is read as a list to fix. */
function failOn(problems: string[]): void {
  if (problems.length) throw new Error(`${problems.length} problems:\n${problems.join('\n')}`)
}

export function describeCrawl(role: 'owner' | 'person', javaScriptEnabled: boolean): void {
  const js = `JavaScript ${javaScriptEnabled ? 'on' : 'off'}`
  describe(`in a real browser: the crawl of every page as ${role === 'owner' ? 'the owner' : 'a person'}, ${js}`, function () {
    this.timeout(600_000)
    let household: Household
    let browser: Browser

    before(async function () {
      if (!browserAvailable()) this.skip()
      ;[household, browser] = await Promise.all([startHousehold(), launchBrowser()])
    })
    after(async () => {
      await browser?.close()
      await household?.close()
    })

    /** Loads each path once (cold, weighed with JavaScript on) and checks it in every look. */
    async function crawl(paths: string[], signedIn: boolean, refused: string[] = []): Promise<string[]> {
      const { host } = household
      const context = await newTestContext(browser, { ...LOOKS[0], javaScriptEnabled })
      const problems: string[] = []
      try {
        if (signedIn) await shareSession(context, (role === 'owner' ? household.owner : household.alex).client, host.url)
        const page = await context.newPage()
        let current = ''
        page.on('console', (message) => {
          if (message.type() !== 'error') return
          // A refusal's own status is the one console line it is expected to leave.
          if (refused.includes(current) && message.text().includes('status of 403')) return
          problems.push(`${current}: console: ${message.text()}`)
        })
        page.on('pageerror', (error) => problems.push(`${current}: ${String(error)}`))
        // Cold loads: with the cache off, every page pays for all it needs.
        await (await context.newCDPSession(page)).send('Network.setCacheDisabled', { cacheDisabled: true })
        const inFlight = new Set<unknown>()
        let sizes: Array<Promise<number>> = []
        const live = (url: string) => new URL(url).pathname === '/events'
        page.on('request', (request) => { if (!live(request.url())) inFlight.add(request) })
        page.on('requestfailed', (request) => inFlight.delete(request))
        page.on('requestfinished', (request) => {
          inFlight.delete(request)
          // Posters are what the page shows, not what it costs to show it: the budget is the page's own weight.
          if (request.url().startsWith(host.url) && request.resourceType() !== 'image') sizes.push(request.sizes().then((s) => s.responseBodySize, () => 0))
        })

        if (signedIn) {
          // The header's own links are all crawled (checked on the dashboard), and so is each dashboard card.
          await page.goto(`${host.url}/`)
          // The owner's header links to the pages everyone has: the person's crawl covers those.
          const covered = role === 'owner' ? [...paths, ...personPages(household)] : paths
          const visited = new Set(covered.map((p) => p.replace(/[?#].*$/, '')))
          const missing = (await headerLinks(page)).filter((href) => !visited.has(href) && href !== '/logout' && !refused.includes(href))
          if (role === 'person') missing.push(...(await headerLinks(page)).filter((href) => href.startsWith('/admin')).map((href) => `${href} (an admin link shown to a person)`))
          problems.push(...missing.map((href) => `header link not crawled: ${href}`))
          paths = [...paths, ...await widgetPages(page)]
        }

        let heaviest = { path: '', bytes: 0 }
        for (const path of [...paths, ...refused]) {
          current = path
          sizes = []
          await page.setViewportSize(LOOKS[0].viewport)
          await page.emulateMedia({ colorScheme: LOOKS[0].colorScheme })
          const response = await page.goto(host.url + path)
          await page.waitForLoadState('load')
          // Until nothing but the live stream is in flight: a page's own fragments count and are checked.
          await waitFor(`${path} and its fragments loaded`, () => inFlight.size === 0, 15_000)
          const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0)
          if (bytes > heaviest.bytes) heaviest = { path, bytes }
          if (javaScriptEnabled && bytes > FIRST_PAGE_BUDGET) problems.push(`${path}: ${(bytes / 1024).toFixed(1)} KB cold, over ${FIRST_PAGE_BUDGET / 1024} KB`)
          const expected = refused.includes(path) ? 403 : 200
          if (response?.status() !== expected) problems.push(`${path}: answered ${response?.status()}, not ${expected}`)
          for (const look of LOOKS) {
            await page.setViewportSize(look.viewport)
            await page.emulateMedia({ colorScheme: look.colorScheme })
            const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)
            if (width > look.viewport.width) problems.push(`${path}: ${width} px wide in a ${look.viewport.width} px window (${look.colorScheme})`)
            if (javaScriptEnabled || look === LOOKS[0] || look === LOOKS[3]) await expectAccessible(page).catch((error: Error) => problems.push(error.message))
          }
        }
        if (javaScriptEnabled) console.log(`      heaviest cold page: ${heaviest.path}, ${(heaviest.bytes / 1024).toFixed(1)} KB on the wire`)
      } finally {
        await context.close()
      }
      return problems
    }

    if (role === 'person') {
      it(`signed out: the sign-in page in every look`, async () => {
        failOn(await crawl(['/login'], false))
      })
    }

    it(`every page at 390 px and desktop, light and dark`, async () => {
      const h = household
      failOn(role === 'owner' ? await crawl(ownerPages(h), true) : await crawl(personPages(h), true, REFUSED))
    })
  })
}
