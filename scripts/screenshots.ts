// `npm run screenshots`: the pictures in the README, made again from the running code.
// Boots MediaNest as a household has it (test/support/household.ts: all five plugins,
// the test fakes, people, requests, downloads) and photographs seven pages in Debian's
// Chromium: light and dark, desktop and phone, into docs/screenshots/. Nothing here
// reaches the internet: the posters come through MediaNest from a fake image host.
// docs/screenshots/before/ keeps the pages as they looked before the visual language.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { launchBrowser, newTestContext, shareSession } from '../test/support/browser.ts'
import { startHousehold } from '../test/support/household.ts'

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const

const household = await startHousehold()
const { host, alex, requestId, inPlexTmdbId } = household
const browser = await launchBrowser()
try {
  const pages: Array<[string, string]> = [
    ['dashboard', '/'], ['discovery', '/overseerr'], ['title', `/overseerr/movie/${inPlexTmdbId}`], ['request', `/overseerr/requests/${requestId}`],
    ['downloads', '/youtube'], ['status', '/monitor'], ['inbox', '/notifications'],
  ]
  fs.mkdirSync(OUT, { recursive: true })
  for (const scheme of ['light', 'dark'] as const) {
    for (const [device, viewport] of Object.entries(VIEWPORTS)) {
      const context = await newTestContext(browser, { viewport, colorScheme: scheme })
      // Every page as Alex, one of the household, sees it.
      await shareSession(context, alex.client, host.url)
      const page: Page = await context.newPage()
      for (const [name, url] of pages) {
        // Not 'networkidle': the live stream stays open. The dashboard's cards load on their own.
        await page.goto(`${host.url}${url}`, { waitUntil: 'load' })
        await page.locator('.widget-body > p > a[href^="/widgets/"]').first().waitFor({ state: 'detached', timeout: 15_000 })
        // The posters in view, decoded (they come through MediaNest's image cache).
        const decoded = () => page.evaluate(() => [...(globalThis as unknown as { document: { images: Iterable<{ complete: boolean }> } }).document.images].every((img) => img.complete))
        for (let i = 0; i < 50 && !(await decoded()); i++) await page.waitForTimeout(100)
        const file = path.join(OUT, `${name}-${device}-${scheme}.jpg`)
        await page.screenshot({ path: file, type: 'jpeg', quality: 70 })
        process.stdout.write(`  ${path.relative(process.cwd(), file)}\n`)
      }
      await context.close()
    }
  }
} finally {
  await browser.close()
  await household.close()
}
// The embedded database and the host's timers would keep the process waiting.
process.exit(0)
