// The admin shows Overseerr's webhook secret again to paste it into Overseerr, at phone
// width: with JavaScript it appears under the field, the form untouched, and Copy puts it
// on the clipboard; without JavaScript the same button opens a page with it.
import { expect } from 'chai'
import type { Browser } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, signInThroughForm } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText, waitForVisible } from '../support/page-waits.ts'
import { startHarness, WEBHOOK_SECRET, type Harness } from '../plugins/overseerr/harness.ts'

const PHONE = { width: 390, height: 800 }

describe('in a real browser: an admin shows the webhook secret to paste into Overseerr', function () {
  this.timeout(120_000)
  let h: Harness
  let browser: Browser
  let path: string

  before(async function () {
    if (!browserAvailable()) this.skip()
    h = await startHarness()
    browser = await launchBrowser()
    path = `/admin/services/${(await h.host.db('service_configs').where({ service_name: 'overseerr' }).first()).id}`
  })
  after(async () => {
    await browser?.close()
    await h?.stop()
  })

  it('with JavaScript: shown under the field, the form kept, and copied', async () => {
    const context = await newTestContext(browser, { viewport: PHONE })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'])
    const page = await context.newPage()
    await signInThroughForm(page, h.host.url, h.admin.user, path)
    await page.fill('input[name=service_url]', 'http://typed.example:5055')
    await page.click('button:has-text("Show the stored webhook secret")')
    await waitForVisible(page, '#admin-secret-webhookSecret')
    expect(await page.inputValue('#admin-secret-webhookSecret')).to.equal(WEBHOOK_SECRET)
    // Only the region changed: what the admin typed is still in the form, unsaved.
    expect(await page.inputValue('input[name=service_url]')).to.equal('http://typed.example:5055')
    await page.click('button[data-copy="admin-secret-webhookSecret"]')
    await waitForText(page, '[data-copied-for="admin-secret-webhookSecret"]', 'Copied.')
    type WithClipboard = { navigator: { clipboard: { readText(): Promise<string> } } }
    expect(await page.evaluate(() => (globalThis as unknown as WithClipboard).navigator.clipboard.readText())).to.equal(WEBHOOK_SECRET)
    await expectAccessible(page)
    await context.close()
  })

  it('without JavaScript: the button opens a page with the secret and the way back', async () => {
    const context = await newTestContext(browser, { viewport: PHONE, javaScriptEnabled: false })
    const page = await context.newPage()
    await signInThroughForm(page, h.host.url, h.admin.user, path)
    await page.click('button:has-text("Show the stored webhook secret")')
    await waitForVisible(page, '#admin-secret-webhookSecret')
    expect(await page.inputValue('#admin-secret-webhookSecret')).to.equal(WEBHOOK_SECRET)
    await page.click('a:has-text("Back to the service")')
    await waitForVisible(page, '#admin-service-form')
    await expectAccessible(page)
    await context.close()
  })
})
