// @backend-free: no live update reaches these pages, so the browser sees the same on either database; the server code under them runs on both in the HTTP tests.
// The first run in a real browser at phone width: a fresh install sends the first visitor
// to /setup, the new admin lands on the setup guide, and follows it, step by step through
// the real forms (the service form's "Test without saving" first), against the test fakes,
// until every step is done and the dashboard's card is gone. axe on every page of the way.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import type { Browser, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText, waitForVisible } from '../support/page-waits.ts'
import { waitFor } from '../support/wait-for.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { startFakePms, type FakePms } from '../support/fake-pms.ts'
import { startFakeOverseerr, type FakeOverseerr } from '../support/fake-overseerr.ts'
import { startFakeReceiver, type FakeReceiver } from '../support/fake-receiver.ts'
import { issueCode } from '../../core/auth/one-time-codes.ts'

const PHONE = { width: 390, height: 844 }
const PASSWORD = 'velvet harbor lantern quietly'

describe('in a real browser: the setup guide, from a fresh install to everything done', function () {
  this.timeout(240_000)
  let host: TestHost
  let browser: Browser
  let pms: FakePms
  let overseerr: FakeOverseerr
  let ntfy: FakeReceiver
  let library: string

  before(async function () {
    if (!browserAvailable()) this.skip()
    library = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-guide-e2e-'))
    ;[pms, overseerr, ntfy] = await Promise.all([startFakePms(), startFakeOverseerr(), startFakeReceiver('ntfy')])
    host = await startTestHost({ firstPartyDefaults: true, plugins: { youtube: { enabled: true, config: { libraryPath: library } } } })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
    await Promise.all([pms?.close(), overseerr?.close(), ntfy?.close()])
    if (library) fs.rmSync(library, { recursive: true, force: true })
  })

  const badge = (page: Page, key: string) => page.locator(`#admin-guide-${key} h2 .badge`).innerText()
  const openGuide = async (page: Page) => {
    await visit(page, `${host.url}/admin/guide`)
    await waitForVisible(page, '#admin-guide')
  }
  /** The service form, reached from the guide (through `via` where the step's page links on to it): typed, tested, then saved. */
  const addService = async (page: Page, guideKey: string, fill: Record<string, string>, via?: string) => {
    await openGuide(page)
    await page.click(`#admin-guide-${guideKey} h2 a`)
    if (via) await page.click(via)
    await waitForVisible(page, '#admin-service-form')
    for (const [name, value] of Object.entries(fill)) await page.fill(`#admin-service-form [name="${name}"]`, value)
    await page.click('#admin-service-form button[name="test"]')
    await waitForText(page, '#admin-service-form-test .badge', 'OK', 20_000)
    // The answer has focus, so a screen reader hears it.
    await waitForVisible(page, '#admin-service-form-test > div:focus')
    await expectAccessible(page, `${guideKey}: tested`)
    await page.click('#admin-service-form .actions button:not([name])')
    await page.waitForURL(`${host.url}/admin/services`)
  }

  it('walks an owner through every step with JavaScript on, at 390 px', async () => {
    const context = await newTestContext(browser, { viewport: PHONE })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))

    // 1. A fresh install: / is the setup form; the new admin lands on the guide.
    const code = await issueCode(host.db, 'setup', 3600_000, 'GUID-EWAL-KTHR-OUGH')
    await visit(page, `${host.url}/`)
    await page.waitForURL(`${host.url}/setup`)
    await page.fill('#setup-form input[name=code]', code)
    await page.fill('input[name=email]', 'owner@example.com')
    await page.fill('input[name=password]', PASSWORD)
    await page.click('#setup-form button[type=submit]')
    await page.waitForURL(`${host.url}/admin/guide`)
    await waitForVisible(page, '#admin-guide')
    expect(await badge(page, 'overseerr-connect')).to.equal('To do')
    expect(await badge(page, 'youtube-library')).to.equal('Done')
    await expectAccessible(page, 'the guide, fresh')
    await visit(page, `${host.url}/`)
    await waitForText(page, '#dashboard-guide p', /1 of 6 steps done\. Next: Choose your Plex server\./)

    // 2. Plex, as a service with the owner's token; 3. Overseerr.
    await addService(page, 'plex-auth-server', { service_url: pms.url, api_key: pms.token }, 'a[href="/admin/services/new?type=plex"]')
    await openGuide(page)
    expect(await badge(page, 'plex-auth-server')).to.equal('Done')
    await addService(page, 'overseerr-connect', { service_url: overseerr.url, api_key: overseerr.apiKey })

    // 4. The board watches both, once their first check has run (the services were just saved).
    await waitFor('both services checked and up', async () => {
      await openGuide(page)
      return (await badge(page, 'monitor-watch')) === 'Done'
    }, 30_000).catch(async (error) => {
      throw new Error(`${(error as Error).message}: ${await page.locator('#admin-guide-monitor-watch').innerText()} ${JSON.stringify(await host.db('service_status').select('service_name', 'status', 'message'))}`)
    })

    // 5. A notification channel for admins.
    await openGuide(page)
    await page.click('#admin-guide-notifications-channel h2 a')
    await waitForVisible(page, 'select[name=kind]')
    await page.selectOption('select[name=kind]', 'ntfy')
    await page.fill('input[name=name]', 'Owner phone')
    await page.fill('input[name=url]', ntfy.url)
    await page.locator('form:has(select[name=kind]) button[type=submit]').first().click()
    await waitFor('the channel saved', async () => (await host.db('notification_channels').whereNull('owner_user_id')).length === 1, 10_000)

    // 6. Someone to share it with.
    await openGuide(page)
    await page.click('#admin-guide-core-people h2 a')
    await waitForVisible(page, 'input[name=email]')
    await page.fill('input[name=email]', 'friend@example.com')
    await page.fill('input[name=name]', 'Friend')
    await page.locator('main form button[type=submit]').first().click()
    await waitFor('the second account', async () => (await host.db('users')).length === 2, 10_000)

    // Everything done: the guide says so, and the dashboard's card goes (its cache lasts 10 s).
    await openGuide(page)
    await waitForText(page, '#admin-guide p[role=status]', '6 of 6 done: everything is set up.')
    for (const key of ['plex-auth-server', 'overseerr-connect', 'youtube-library', 'monitor-watch', 'notifications-channel', 'core-people']) {
      expect(await badge(page, key), key).to.equal('Done')
    }
    await expectAccessible(page, 'the guide, done')
    await waitFor('the dashboard without the guide card', async () => {
      await visit(page, `${host.url}/`)
      return (await page.locator('#dashboard-guide').count()) === 0
    }, 20_000)
    expect(errors).to.deep.equal([])
    await context.close()
  })
})
