// A fresh install's first pages (/setup, /login) at phone width through axe, light and
// dark: shared by the two test files (JavaScript on, JavaScript off). Every page of a
// running install, both roles, both widths, is the crawl's (crawl.ts).
import { expect } from 'chai'
import type { Browser } from 'playwright-core'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { browserAvailable, launchBrowser, newTestContext, visit } from '../support/browser.ts'

const PHONE = { width: 390, height: 844 }
const MODES = [
  { colorScheme: 'light', javaScriptEnabled: true },
  { colorScheme: 'dark', javaScriptEnabled: true },
  { colorScheme: 'light', javaScriptEnabled: false },
  { colorScheme: 'dark', javaScriptEnabled: false },
] as const

const modeName = (m: (typeof MODES)[number]) => `${m.colorScheme}, JavaScript ${m.javaScriptEnabled ? 'on' : 'off'}`

export function describePhonePages(javaScriptEnabled: boolean): void {
  const modes = MODES.filter((m) => m.javaScriptEnabled === javaScriptEnabled)
  describe(`in a real browser: a fresh install's first pages fit a phone and pass axe, light and dark, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, function () {
    this.timeout(300_000)
    let host: TestHost
    let browser: Browser

    before(async function () {
      if (!browserAvailable()) this.skip()
      host = await startTestHost()
      browser = await launchBrowser()
    })
    after(async () => {
      await browser?.close()
      await host?.stop()
    })

    async function checkPages(paths: string[], mode: (typeof MODES)[number]): Promise<void> {
      const context = await newTestContext(browser, { ...mode, viewport: PHONE })
      try {
        const page = await context.newPage()
        const tooWide: string[] = []
        for (const path of paths) {
          const response = await visit(page, host.url + path)
          expect(response?.status() ?? 0, path).to.be.below(500)
          const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)
          if (width > PHONE.width) tooWide.push(`${path}: ${width} px`)
        }
        expect(tooWide, `pages wider than ${PHONE.width} px (${modeName(mode)})`).to.deep.equal([])
      } finally {
        await context.close()
      }
    }

    describe('on a fresh host, signed out', () => {
      for (const mode of modes) {
        it(`/setup and /login (${modeName(mode)})`, async () => {
          await checkPages(['/setup', '/login'], mode)
        })
      }
    })
  })
}
