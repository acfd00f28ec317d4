// @backend-free: the service pages have no live part; the store under them runs on both databases in test/core/service-kinds.test.ts.
// An admin adds a second Overseerr ("overseerr-4k") beside the first, at phone width: a
// name that breaks the rule is refused beside the Name field with the focus there, the
// corrected one is saved, and the list shows both with their kind. Without JavaScript a
// taken name is refused the same way.
import { expect } from 'chai'
import type { Browser } from 'playwright-core'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { browserAvailable, launchBrowser, newTestContext, signInThroughForm } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText, waitForVisible } from '../support/page-waits.ts'

const PHONE = { width: 390, height: 800 }

describe('in a real browser: two services of one kind', function () {
  this.timeout(120_000)
  let host: TestHost
  let browser: Browser
  let admin: Awaited<ReturnType<TestHost['createUser']>>

  before(async function () {
    if (!browserAvailable()) this.skip()
    host = await startTestHost({ plugins: { overseerr: { enabled: true } } })
    admin = await host.createUser({ role: 'ADMIN' })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
  })

  const names = async () => (await host.db('service_configs').orderBy('service_name').select('service_name', 'service_type'))

  it('with JavaScript: the second of a kind needs a name of its own, refused beside the field until it is one', async () => {
    const context = await newTestContext(browser, { viewport: PHONE })
    const page = await context.newPage()
    await signInThroughForm(page, host.url, admin, '/admin/services/new')
    await page.selectOption('select[name=service_name]', 'overseerr')
    await waitForVisible(page, 'input[name=field_webhookSecret]')
    await page.fill('input[name=service_url]', 'http://10.0.0.5:5055')
    await page.click('button:has-text("Add the service")')
    await page.waitForURL(`${host.url}/admin/services`)
    await waitForText(page, '#main .alert-ok', 'Service added.')

    await page.goto(`${host.url}/admin/services/new`)
    await page.selectOption('select[name=service_name]', 'overseerr')
    await waitForVisible(page, 'input[name=field_webhookSecret]')
    await page.fill('input[name=service_name_other]', 'Overseerr 4K')
    await page.fill('input[name=service_url]', 'http://10.0.0.6:5055')
    // The browser's own pattern check would stop this before the server sees it: the server's answer is what is tested.
    await page.$eval('#admin-service-form', (form) => form.setAttribute('novalidate', ''))
    await page.click('button:has-text("Add the service")')
    await waitForText(page, '#admin-service-form-service_name_other-error', /lower-case letters/)
    await page.locator('input[name=service_name_other]:focus').waitFor()
    expect(await names()).to.deep.equal([{ service_name: 'overseerr', service_type: 'overseerr' }])
    await expectAccessible(page)

    await page.fill('input[name=service_name_other]', 'overseerr-4k')
    await page.click('button:has-text("Add the service")')
    await page.waitForURL(`${host.url}/admin/services`)
    await waitForVisible(page, '#main td[data-label=Name] a:has-text("overseerr-4k")')
    expect(await page.locator('#main td[data-label=Name] small:has-text("Overseerr")').count()).to.equal(2)
    await expectAccessible(page)
    expect(await names()).to.deep.equal([{ service_name: 'overseerr', service_type: 'overseerr' }, { service_name: 'overseerr-4k', service_type: 'overseerr' }])
    await context.close()
  })

  it('without JavaScript: a taken name is refused beside the Name field, nothing saved', async () => {
    const context = await newTestContext(browser, { viewport: PHONE, javaScriptEnabled: false })
    const page = await context.newPage()
    await signInThroughForm(page, host.url, admin, '/admin/services/new?type=overseerr')
    await page.fill('input[name=service_name_other]', 'overseerr-4k')
    await page.fill('input[name=service_url]', 'http://10.0.0.7:5055')
    await page.click('button:has-text("Add the service")')
    await waitForText(page, '#admin-service-form-service_name_other-error', /A service named "overseerr-4k" is already configured/)
    await expectAccessible(page)
    expect(await names()).to.have.length(2)
    await context.close()
  })
})
