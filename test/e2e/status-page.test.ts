// @backend-specific: the public page's live nudge goes through LISTEN/NOTIFY on PostgreSQL and stays in-process on PGlite.
// Issue 32 part 5 in a real browser at phone width: an admin makes a public status page
// (a mistake first, shown beside the field with the focus on it), then someone who is
// not signed in reads it and its badge, and sees a service go down: with JavaScript the
// page updates itself over an anonymous live stream; without, one reload at a time.
import { expect } from 'chai'
import type { Browser, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText, waitForVisible } from '../support/page-waits.ts'
import { waitFor } from '../support/wait-for.ts'
import type { TestHost } from '../support/test-host.ts'
import { addService, signedInAdmin, startMonitorHost } from '../plugins/monitor/monitor-harness.ts'
import { startTargetServer, type TargetServer } from '../plugins/monitor/target-server.ts'

const PHONE = { width: 390, height: 740 }

describe('in a real browser: a public status page', function () {
  this.timeout(180_000)
  let host: TestHost
  let browser: Browser
  const targets: TargetServer[] = []

  before(async function () {
    if (!browserAvailable()) this.skip()
    // The real cluster schedule: checks every 5 s, DOWN at the first failure.
    ;({ host } = await startMonitorHost({ interval: '5s', timeout: '1s', retries: 0 }, { keepScheduler: true }))
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
    for (const t of targets) await t.close()
  })

  const noSideScroll = async (page: Page) => {
    const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)
    expect(width).to.be.at.most(PHONE.width)
  }

  for (const javaScriptEnabled of [true, false]) {
    it(`${javaScriptEnabled ? 'with' : 'without'} JavaScript: made by an admin, read signed out, follows an outage`, async () => {
      const tag = javaScriptEnabled ? 'js' : 'nojs'
      const media = await startTargetServer()
      const files = await startTargetServer()
      targets.push(media, files)
      await addService(host, `media-${tag}`, `${media.url}/secret-admin-path`, { configData: { displayName: `Media ${tag}` } })
      await addService(host, `files-${tag}`, files.url, { configData: { displayName: `Files ${tag}` } })
      await waitFor('both to be checked', async () => {
        const rows = await host.db('service_status').whereIn('service_name', [`media-${tag}`, `files-${tag}`]).where({ status: 'up' })
        return rows.length === 2 ? true : undefined
      }, 30_000)

      // The admin makes the page.
      const adminContext = await newTestContext(browser, { javaScriptEnabled, viewport: PHONE })
      const admin = await adminContext.newPage()
      const { user } = await signedInAdmin(host)
      await visit(admin, `${host.url}/login`)
      await admin.fill('input[name=email]', user.email)
      await admin.fill('input[name=password]', user.password)
      await admin.click('button[type=submit]')
      await admin.waitForURL(`${host.url}/`)
      await visit(admin, `${host.url}/admin/monitor/status-pages`)
      await admin.fill('input[name=slug]', `Home-${tag}`)
      await admin.fill('input[name=title]', `Our server (${tag})`)
      await admin.check(`input[name=services][value="media-${tag}"]`)
      await admin.check(`input[name=services][value="files-${tag}"]`)
      await admin.check('input[name=published]')
      await admin.click('button:has-text("Make the page")')
      await waitForText(admin, '#monitor-sp-slug-error', new RegExp(`Use lower case: "home-${tag}"\\.`))
      await admin.locator('input[name=slug]:focus').waitFor()
      await expectAccessible(admin)
      await admin.fill('input[name=slug]', `home-${tag}`)
      await admin.click('button:has-text("Make the page")')
      await waitForText(admin, '#monitor-status-pages .alert-ok', /The status page is saved\./)
      await adminContext.close()

      // Someone not signed in reads it.
      const context = await newTestContext(browser, { javaScriptEnabled, viewport: PHONE })
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      await visit(page, `${host.url}/status/home-${tag}`)
      await waitForText(page, 'h1', new RegExp(`Our server \\(${tag}\\)`))
      await waitForText(page, '#monitor-status-page-overall', /All services are up\./)
      expect(await page.textContent('#monitor-status-page')).to.not.include('secret-admin-path')
      await expectAccessible(page)
      await noSideScroll(page)

      // Signed out, the page still holds a live stream (an anonymous one: public events only).
      if (javaScriptEnabled) await page.locator('#live-stream[data-viewer="public"][data-state="leading"], #live-stream[data-viewer="public"][data-state="own-stream"]').waitFor({ state: 'attached' })
      await files.down()
      if (javaScriptEnabled) {
        // No reload: the anonymous stream's nudge (or the minute's poll) brings the change.
        await waitForText(page, '#monitor-status-page-overall', /1 of 2 services is down\./, 45_000)
      } else {
        await waitFor('the page to show the outage', async () => {
          await visit(page, `${host.url}/status/home-${tag}`)
          return /1 of 2 services is down\./.test((await page.textContent('#monitor-status-page-overall')) ?? '') ? true : undefined
        }, 45_000)
      }
      await waitForVisible(page, `li:has-text("Files ${tag}") .badge.bad`)
      await expectAccessible(page)
      await noSideScroll(page)

      const badge = await page.goto(`${host.url}/status/home-${tag}/badge/files-${tag}.svg`)
      expect(badge!.status()).to.equal(200)
      expect(badge!.headers()['content-type']).to.match(/^image\/svg\+xml/)
      expect(await badge!.text()).to.include(`<title>Files ${tag}: down</title>`)
      expect(errors).to.deep.equal([])
      await context.close()
    })
  }
})
