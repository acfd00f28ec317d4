// @backend-specific: what the page shows arrives over the live stream, which on PostgreSQL goes through LISTEN/NOTIFY and on PGlite stays in-process.
// Issue 22 in a real browser at phone width: an admin watches a loopback service go down
// on the board, an incident open, the service come back and the incident resolve — with
// JavaScript (the board updates itself: htmx polling and the live nudge) and without
// (reloading the same URL). Every page is checked with axe on the way.
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

describe('in a real browser: the status board follows an outage', function () {
  this.timeout(180_000)
  let host: TestHost
  let target: TargetServer
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    target = await startTargetServer()
    // The real cluster schedule runs here: checks every 5 s, an incident after 2 failures.
    ;({ host } = await startMonitorHost({ interval: '5s', timeout: '1s', failuresBeforeIncident: 2 }, { keepScheduler: true }))
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
    await target?.close()
  })

  const signIn = async (page: Page) => {
    const { user } = await signedInAdmin(host)
    await visit(page, `${host.url}/login`)
    await page.fill('input[name=email]', user.email)
    await page.fill('input[name=password]', user.password)
    await page.click('button[type=submit]')
    await page.waitForURL(`${host.url}/`)
  }
  const incidentRow = (name: string, status: string) => host.db('service_incidents').where({ service_name: name, status }).first()

  it('with JavaScript: the board turns Down, shows the incident, and comes back Up by itself', async () => {
    await addService(host, 'web-js', target.url)
    const context = await newTestContext(browser, { viewport: PHONE })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await signIn(page)
    await visit(page, `${host.url}/monitor`)
    await waitForText(page, '#monitor-row-web-js', /Up/, 30_000)

    await target.down()
    // No reload from here on: the page updates itself.
    await waitForText(page, '#monitor-row-web-js', /Down/, 45_000)
    await waitForText(page, '#monitor-row-web-js', /Open incident/, 45_000)
    await expectAccessible(page)
    // At 390 px each row is a card: nothing wider than the phone, and a percentage on one line.
    const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)
    expect(width).to.be.at.most(PHONE.width)
    const cell = page.locator('#monitor-row-web-js td[data-label="30 d"]')
    const box = await cell.boundingBox()
    const lineHeight = await page.locator('#monitor-row-web-js td[data-label="Response"]').boundingBox()
    expect(box!.height).to.be.at.most(lineHeight!.height + 1)
    expect(await incidentRow('web-js', 'open')).to.not.equal(undefined)

    await target.up()
    await waitForText(page, '#monitor-row-web-js', /Up/, 45_000)
    await waitFor('the incident to resolve', () => incidentRow('web-js', 'resolved'), 30_000)
    await visit(page, `${host.url}/monitor/services/web-js`)
    await waitForVisible(page, '#monitor-service li:has-text("Resolved")')
    await waitForText(page, '#monitor-service li:has-text("Resolved")', /lasted \d+ (s|min)/)
    await waitForVisible(page, 'figure svg[role="img"]')
    // Test connection shows its result in place, with the keyboard, and the focus on it.
    await page.focus('button:has-text("Test connection now")')
    await page.keyboard.press('Enter')
    await waitForText(page, '#monitor-check-result', /Answered HTTP 200/, 20_000)
    await page.locator('#monitor-check-result [role=status]:focus').waitFor()
    // Save note: the focus lands on the notice, not on <body>.
    await page.fill('#monitor-service textarea[name=note]', 'Back after the reboot')
    await page.focus('button:has-text("Save note")')
    await page.keyboard.press('Enter')
    await page.locator('#monitor-service .alert-ok:focus').waitFor()
    expect(await page.textContent('#monitor-service .alert-ok')).to.include('The note is saved.')
    await expectAccessible(page)
    expect(errors).to.deep.equal([])
    await context.close()
  })

  it('without JavaScript: the same story, one reload at a time', async () => {
    await target.up()
    await addService(host, 'web-nojs', target.url)
    const context = await newTestContext(browser, { javaScriptEnabled: false, viewport: PHONE })
    const page = await context.newPage()
    await signIn(page)
    const reloadUntil = async (url: string, selector: string, text: RegExp) => waitFor(`${selector} to show ${text}`, async () => {
      await visit(page, url)
      const el = await page.$(selector)
      return el && text.test((await el.textContent()) ?? '') ? true : undefined
    }, 45_000)
    await reloadUntil(`${host.url}/monitor`, '#monitor-row-web-nojs', /Up/)
    await target.down()
    await reloadUntil(`${host.url}/monitor`, '#monitor-row-web-nojs', /Open incident/)
    expect(await page.textContent('#monitor-row-web-nojs')).to.match(/Down/)

    // An admin adds a note with a plain form post.
    await visit(page, `${host.url}/monitor/services/web-nojs`)
    await page.fill('#monitor-service textarea[name=note]', 'Router rebooting')
    await page.click('button:has-text("Save note")')
    await waitForVisible(page, 'text=The note is saved.')
    await expectAccessible(page)

    await target.up()
    await reloadUntil(`${host.url}/monitor/services/web-nojs`, '#monitor-service', /Resolved/)
    expect(await page.textContent('#monitor-service')).to.include('Router rebooting')
    await context.close()
  })

  for (const javaScriptEnabled of [true, false]) {
    it(`${javaScriptEnabled ? 'with' : 'without'} JavaScript: an admin schedules maintenance (a mistake first) and pauses a service; the board says so`, async () => {
      await target.up()
      const name = javaScriptEnabled ? 'mw-js' : 'mw-nojs'
      await addService(host, name, target.url)
      await addService(host, `${name}-2`, target.url)
      const context = await newTestContext(browser, { javaScriptEnabled, viewport: PHONE })
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      await signIn(page)
      await waitFor('the services to be watched', () => host.db('service_status').where({ service_name: `${name}-2` }).first())
      await visit(page, `${host.url}/admin/monitor/maintenance`)
      const utcMinute = (ms: number) => new Date(Date.now() + ms).toISOString().slice(0, 16)
      await page.fill('input[name=title]', 'Router firmware')
      await page.check(`input[name=services][value="${name}"]`)
      await page.fill('input[name=starts]', utcMinute(60_000))
      await page.fill('input[name=ends]', utcMinute(-60_000))
      await page.selectOption('select[name=time_zone]', 'UTC')
      await page.click('button:has-text("Add the window")')
      // The form comes back with the message beside "To", which has the focus.
      await waitForText(page, '#monitor-mw-ends-error', /The end must be after the start\./)
      await page.locator('input[name=ends]:focus').waitFor()
      await expectAccessible(page)
      await page.fill('input[name=starts]', utcMinute(-60_000))
      await page.fill('input[name=ends]', utcMinute(30 * 60_000))
      await page.click('button:has-text("Add the window")')
      await waitForText(page, '#monitor-maintenance .alert-ok', /The maintenance window is saved\./)
      await waitForText(page, '#monitor-maintenance li', /Router firmware.*On now/s)
      await expectAccessible(page)

      await visit(page, `${host.url}/monitor/services/${name}-2`)
      await page.click('button:has-text("Pause checks")')
      await waitForText(page, '#monitor-service .alert-ok', /Checks are paused/)
      await waitForText(page, '#monitor-service', /Paused/)
      await expectAccessible(page)

      if (javaScriptEnabled) {
        await visit(page, `${host.url}/monitor`)
        await waitForText(page, `#monitor-row-${name}`, /Maintenance/, 30_000)
      } else {
        await waitFor('the board to show the window', async () => {
          await visit(page, `${host.url}/monitor`)
          return /Maintenance/.test((await page.textContent(`#monitor-row-${name}`)) ?? '') ? true : undefined
        }, 30_000)
      }
      await waitForText(page, `#monitor-row-${name}-2`, /Paused/)
      await waitForText(page, '#monitor-summary', /in maintenance or paused/)
      await expectAccessible(page)
      expect(errors).to.deep.equal([])
      await host.db('monitor_maintenance').del()
      await context.close()
    })
  }
})
