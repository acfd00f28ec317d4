// Every core page at phone width through axe, as a signed-out visitor, an admin and a
// user, light and dark: shared by the two test files (JavaScript on, JavaScript off), so
// the two halves run in separate workers.
import { expect } from 'chai'
import type { Browser, BrowserContext } from 'playwright-core'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { browserAvailable, launchBrowser, newTestContext, visit } from '../support/browser.ts'
import type { TestClient } from '../support/http-client.ts'

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
  describe(`in a real browser: every core page fits a phone and passes axe, light and dark, JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, function () {
    this.timeout(300_000)
    let host: TestHost
    let browser: Browser
    let admin: TestClient
    let user: TestClient
    let adminPages: string[]

    before(async function () {
      if (!browserAvailable()) this.skip()
      host = await startTestHost({ plugins: { hello: { enabled: true } } })
      browser = await launchBrowser()
    })
    after(async () => {
      await browser?.close()
      await host?.stop()
    })

    async function signedInContext(client: TestClient | null, mode: (typeof MODES)[number]): Promise<BrowserContext> {
      const context = await newTestContext(browser, { ...mode, viewport: PHONE })
      if (client) {
        const cookies = client.cookieHeader().split('; ').filter(Boolean).map((pair) => {
          const eq = pair.indexOf('=')
          return { name: pair.slice(0, eq), value: pair.slice(eq + 1), url: host.url }
        })
        await context.addCookies(cookies)
      }
      return context
    }

    async function checkPages(client: TestClient | null, paths: string[], mode: (typeof MODES)[number]): Promise<void> {
      const context = await signedInContext(client, mode)
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
          await checkPages(null, ['/setup', '/login'], mode)
        })
      }
    })

    describe('signed in', () => {
      before(async () => {
        const adminUser = await host.createUser({ name: 'Ada Admin', role: 'ADMIN' })
        admin = (await host.signedIn(adminUser)).client
        user = (await host.signedIn(await host.createUser({ name: 'Uma User' }))).client
        // A second session, and the long browser names real browsers send, for the sessions table.
        await host.signedIn(adminUser)
        await host.db('sessions').update({ user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', ip: '2001:0db8:85a3:0000:0000:8a2e:0370:7334' })
        adminPages = ['/admin', '/admin/users', '/admin/users/new', `/admin/users/${adminUser.id}`, '/admin/services',
          '/admin/services/new', '/admin/errors', '/admin/plugins']
      })

      const userPages = ['/', '/account', '/account/password', '/account/sessions', '/account/tokens', '/hello']

      for (const mode of modes) {
        it(`as an admin (${modeName(mode)})`, async () => {
          await checkPages(admin, [...userPages, ...adminPages], mode)
        })
        it(`as a user, including the admin pages they are refused (${modeName(mode)})`, async () => {
          await checkPages(user, [...userPages, ...adminPages], mode)
        })
      }
    })
  })
}
