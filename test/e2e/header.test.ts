// @backend-free: no live update reaches these pages, so the browser sees the same on either database; the server code under them runs on both in the HTTP tests.
// Issue 29 (3) in a real browser: a header that fits five plugins and a phone. At 390 px
// it is one line (brand, Menu, the bell, the person's menu, Admin), nothing scrolls
// sideways, every menu opens from the keyboard and without JavaScript, and what a screen
// reader hears names each menu. Plugins place their entries (API 1.5): sections in
// priority order, the bell as an indicator, settings in the person's menu, admin pages
// in the Admin menu.
import { expect } from 'chai'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, shareSession } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const PHONE = { width: 390, height: 760 }

describe('in a real browser: the header, on a phone and with the keyboard', function () {
  this.timeout(120_000)
  let host: TestHost
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    host = await startTestHost({ firstPartyDefaults: true })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
  })

  async function signedIn(role: 'ADMIN' | 'USER', javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page }> {
    const { client } = await host.signedIn(await host.createUser({ role, name: role === 'ADMIN' ? 'Ada Lovelace-Byron' : 'Bob' }))
    const context = await newTestContext(browser, { viewport: PHONE, javaScriptEnabled })
    await shareSession(context, client, host.url)
    return { context, page: await context.newPage() }
  }

  /** The tops of the header's visible parts: one line means they are all on it. */
  async function rows(page: Page): Promise<number[]> {
    const tops: number[] = []
    for (const selector of ['.brand', '.sections-menu > summary', '.indicator-menu > summary', '.account-menu > summary', '.admin-menu > summary']) {
      const part = page.locator(`header ${selector}`)
      if (!(await part.count())) continue
      const box = await part.boundingBox()
      if (box) tops.push(Math.round(box.y + box.height / 2))
    }
    return tops
  }

  for (const javaScriptEnabled of [true, false]) {
    it(`an admin at 390 px, JavaScript ${javaScriptEnabled ? 'on' : 'off'}: one line, each menu opens and holds what it should`, async () => {
      const { context, page } = await signedIn('ADMIN', javaScriptEnabled)
      await page.goto(`${host.url}/overseerr/requests`)
      const middles = await rows(page)
      expect(middles).to.have.length(5)
      expect(Math.max(...middles) - Math.min(...middles), `header parts at ${middles.join(', ')} px`).to.be.at.most(8)
      expect(await page.evaluate('document.documentElement.scrollWidth')).to.be.at.most(PHONE.width)
      // The row of sections is for wide screens; here they are in the menu.
      expect(await page.locator('.sections-row').isVisible()).to.equal(false)

      await page.click('.sections-menu > summary')
      const sections = page.locator('.sections-menu .nav-menu-panel a')
      expect(await sections.allTextContents()).to.deep.equal(['Dashboard', 'Requests', 'Downloads', 'Status'])
      expect(await page.getAttribute('.sections-menu a:has-text("Requests")', 'aria-current')).to.equal('page')
      await expectAccessible(page)
      await page.click('.sections-menu > summary')

      await page.click('.account-menu > summary')
      expect(await page.locator('.account-menu .nav-menu-panel a').allTextContents()).to.deep.equal(['Account', 'Notification settings'])
      await page.locator('.account-menu button:has-text("Sign out")').waitFor()
      await page.click('.account-menu > summary')

      await page.click('.admin-menu > summary')
      // The core's pages, then each plugin's settings by name.
      expect(await page.locator('.admin-menu .nav-menu-panel a').allTextContents())
        .to.deep.equal(['Overview', 'People', 'Services', 'Plugins', 'Error log', 'Notifications', 'Plex sign-in', 'Problem reports', 'Request queue', 'YouTube'])
      await expectAccessible(page)
      // At 390 px an open menu still fits.
      expect(await page.evaluate('document.documentElement.scrollWidth')).to.be.at.most(PHONE.width)
      await context.close()
    })
  }

  it('every page of the five plugins and the admin area fits 390 px and passes axe (an admin, JavaScript off)', async () => {
    const { context, page } = await signedIn('ADMIN', false)
    const tooWide: string[] = []
    for (const path of ['/', '/overseerr', '/overseerr/requests', '/youtube', '/monitor', '/notifications', '/notifications/preferences',
      '/admin/overseerr', '/admin/youtube', '/admin/notifications', '/admin/plex-auth', '/admin/services/new']) {
      const response = await page.goto(`${host.url}${path}`)
      expect(response?.status(), path).to.equal(200)
      const width = Number(await page.evaluate('document.documentElement.scrollWidth'))
      if (width > PHONE.width) tooWide.push(`${path}: ${width} px`)
      await expectAccessible(page)
    }
    expect(tooWide).to.deep.equal([])
    await context.close()
  })

  it('with the keyboard alone: Menu, a section, the bell, the person\'s menu, the Admin menu and a plugin\'s settings; what a screen reader hears names each menu', async () => {
    const { context, page } = await signedIn('ADMIN', true)
    await page.goto(`${host.url}/`)
    // Skip link, brand, then the Menu button.
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    await page.locator('.sections-menu > summary:focus').waitFor()
    await page.keyboard.press('Enter')
    await page.locator('.sections-menu[open]').waitFor()
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    await page.locator('.sections-menu a:has-text("Requests"):focus').waitFor()
    await page.keyboard.press('Enter')
    await page.waitForURL(`${host.url}/overseerr`)

    // The bell, the person's menu and the Admin menu, in that order, each opened with Enter.
    const tabTo = async (selector: string) => {
      for (let i = 0; i < 12 && !(await page.locator(`${selector}:focus`).count()); i++) await page.keyboard.press('Tab')
      await page.locator(`${selector}:focus`).waitFor()
    }
    await page.locator('header .brand').focus()
    await tabTo('.indicator-menu > summary')
    await tabTo('.account-menu > summary')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    await page.locator('.account-menu a:has-text("Account"):focus').waitFor()
    await tabTo('.account-menu button:has-text("Sign out")')
    await tabTo('.admin-menu > summary')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    await page.locator('.admin-menu a:has-text("Overview"):focus').waitFor()
    await tabTo('.admin-menu a:has-text("Request queue")')
    await page.keyboard.press('Enter')
    await page.waitForURL(`${host.url}/admin/overseerr`)

    const heard = await page.locator('header').ariaSnapshot()
    expect(heard).to.include('navigation "Main"')
    // Each menu by its name, with no stray characters (the drawn caret is not read out).
    expect(heard).to.match(/group: Menu$/m)
    expect(heard).to.match(/group: "Notifications: \d+ unread"$/m)
    expect(heard).to.match(/group: "Ada Lovelace-Byron ?: your account"$/m)
    expect(heard).to.match(/group: Admin$/m)
    await context.close()
  })

  it('a person who is not an admin has no Admin menu, and the same one-line header', async () => {
    const { context, page } = await signedIn('USER', false)
    await page.goto(`${host.url}/`)
    expect(await page.locator('.admin-menu').count()).to.equal(0)
    const middles = await rows(page)
    expect(middles).to.have.length(4)
    expect(Math.max(...middles) - Math.min(...middles)).to.be.at.most(8)
    await page.click('.account-menu > summary')
    expect(await page.locator('.account-menu .nav-menu-panel a').allTextContents()).to.deep.equal(['Account', 'Notification settings'])
    await expectAccessible(page)
    await context.close()
  })
})
