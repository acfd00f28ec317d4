// `npm run screenshots`: the pictures in the README, made again from the running code.
// Boots MediaNest (all five plugins, embedded database) against the test fakes, fills it
// through its own pages as a household would (services added, films requested, one
// approved, one refused), and photographs six pages in Debian's Chromium: light and dark,
// desktop and phone, into docs/screenshots/. Nothing here reaches the internet: the
// poster images TMDB would serve are drawn here (page.route).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { launchBrowser, newTestContext, shareSession } from '../test/support/browser.ts'
import { startTestHost } from '../test/support/test-host.ts'
import { startFakeOverseerr } from '../test/support/fake-overseerr.ts'
import { startFakePms } from '../test/support/fake-pms.ts'
import { configureOverseerr } from '../test/plugins/overseerr/harness.ts'
import { waitFor } from '../test/support/wait-for.ts'

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const
const FILMS = [
  ['Arrival', 2016], ['Paddington 2', 2017], ['Spirited Away', 2001], ['The Martian', 2015],
  ['Knives Out', 2019], ['Hidden Figures', 2016], ['Coco', 2017], ['Dune', 2021],
] as const

/** A poster where TMDB's would be: a calm gradient, different for each path. */
function poster(url: string): string {
  const hue = [...url].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="185" height="278" viewBox="0 0 185 278"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">` +
    `<stop offset="0" stop-color="hsl(${hue} 45% 55%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360} 50% 25%)"/></linearGradient></defs>` +
    `<rect width="185" height="278" fill="url(#g)"/><circle cx="92" cy="110" r="38" fill="hsl(${hue} 60% 80%)" opacity=".5"/></svg>`
}

const libraryPath = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-screenshots-'))
const [overseerr, pms] = await Promise.all([startFakeOverseerr(), startFakePms()])
const host = await startTestHost({ firstPartyDefaults: true, plugins: { youtube: { enabled: true, config: { libraryPath } } } })
const browser = await launchBrowser()
try {
  // The household: the owner, two people; the services; some requests.
  const owner = await host.signedIn(await host.createUser({ role: 'ADMIN', name: 'Sam Rivera', email: 'sam@medianest.example' }))
  const alex = await host.signedIn(await host.createUser({ name: 'Alex Chen', email: 'alex@medianest.example' }))
  await host.createUser({ name: 'Jonas Weber', email: 'jonas@medianest.example' })
  await configureOverseerr(host, overseerr.url, overseerr.apiKey)
  await owner.client.get('/admin/services/new?type=plex')
  await owner.client.post('/admin/services', { service_name: 'plex', service_name_other: '', service_url: pms.url, api_key: pms.token, enabled: '1', config_data: '{}' })
  const ids = FILMS.map(([title, year], i) => {
    const tmdbId = 9000 + i
    overseerr.addTitle({ mediaType: 'movie', tmdbId, title, year, poster: `/poster-${i}.jpg`, overview: `${title} (${year}).` })
    return tmdbId
  })
  for (const id of ids.slice(0, 4)) await alex.client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(id) })
  const pending = await host.db('media_requests').where({ status: 'pending' }).orderBy('created_at')
  await owner.client.post(`/admin/overseerr/requests/${pending[0].id}/approve`, {})
  await owner.client.post(`/admin/overseerr/requests/${pending[1].id}/reject`, { reason: 'We have it on the shelf already.' })
  await waitFor('both services checked', async () => (await host.db('service_status').whereNotNull('status')).length >= 2, 30_000)
  const request = (await host.db('media_requests').orderBy('created_at').first())!

  const pages: Array<[string, string]> = [
    ['dashboard', '/'], ['discovery', '/overseerr?q=a'], ['request', `/overseerr/requests/${request.id}`],
    ['downloads', '/youtube'], ['status', '/monitor'], ['inbox', '/notifications'],
  ]
  fs.mkdirSync(OUT, { recursive: true })
  for (const scheme of ['light', 'dark'] as const) {
    for (const [device, viewport] of Object.entries(VIEWPORTS)) {
      const context = await newTestContext(browser, { viewport, colorScheme: scheme })
      // The people's pages as Alex sees them; the board as the owner does.
      await shareSession(context, alex.client, host.url)
      const page: Page = await context.newPage()
      await page.route('https://image.tmdb.org/**', (route) => route.fulfill({ contentType: 'image/svg+xml', body: poster(route.request().url()) }))
      for (const [name, url] of pages) {
        // Not 'networkidle': the live stream stays open. The dashboard's cards load on their own.
        await page.goto(`${host.url}${url}`, { waitUntil: 'load' })
        await page.locator('.widget-body > p > a[href^="/widgets/"]').first().waitFor({ state: 'detached', timeout: 15_000 })
        const file = path.join(OUT, `${name}-${device}-${scheme}.jpg`)
        await page.screenshot({ path: file, type: 'jpeg', quality: 70 })
        process.stdout.write(`  ${path.relative(process.cwd(), file)}\n`)
      }
      await context.close()
    }
  }
} finally {
  await browser.close()
  await host.stop()
  await Promise.all([overseerr.close(), pms.close()])
  fs.rmSync(libraryPath, { recursive: true, force: true })
}
// The embedded database and the host's timers would keep the process waiting.
process.exit(0)
