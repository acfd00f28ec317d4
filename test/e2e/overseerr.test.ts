// @backend-specific: what the page shows arrives over the live stream, which on PostgreSQL goes through LISTEN/NOTIFY and on PGlite stays in-process.
// Issue 20 in a real browser, at phone width: search, request, an admin approves, and the
// status reaches "Available in Plex". With JavaScript the search is live and the badge
// changes on the open page by itself; without it every step is a plain form or link.
import { expect } from 'chai'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText, waitForVisible } from '../support/page-waits.ts'
import { waitFor } from '../support/wait-for.ts'
import { addMovie, requestRow, startHarness, waitForStatus, WEBHOOK_SECRET, type Harness } from '../plugins/overseerr/harness.ts'

const PHONE = { width: 375, height: 740 }

describe('in a real browser: request a movie and follow it until it is in Plex', function () {
  this.timeout(180_000)
  let h: Harness
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    h = await startHarness({ syncEvery: '1h' })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await h?.stop()
  })

  async function signIn(context: BrowserContext, user: { email: string; password: string }): Promise<Page> {
    const page = await context.newPage()
    await visit(page, `${h.host.url}/login`)
    await page.fill('input[name=email]', user.email)
    await page.fill('input[name=password]', user.password)
    await page.click('#main button[type=submit]')
    await page.waitForURL(`${h.host.url}/`)
    return page
  }

  /** Overseerr finishes the download and tells us through its webhook. */
  async function overseerrCompletes(requestId: string): Promise<void> {
    const sent = await waitForStatus(h.host, requestId, 'in_progress')
    h.fake.moveRequest(sent.overseerr_id, 'available')
    const res = await h.fake.sendWebhook(`${h.host.url}/overseerr/hooks/overseerr`, { authorization: WEBHOOK_SECRET, payload: h.fake.webhookPayload('MEDIA_AVAILABLE', sent.overseerr_id) })
    expect(res.status).to.equal(202)
  }

  it('with JavaScript: live search, request in place, the admin approves inline, the badge turns "Available in Plex" without a reload', async () => {
    const tmdbId = addMovie(h.fake, 'Browser (Live) Film!')
    const person = await h.host.createUser({ name: 'Phone Person' })
    const context = await newTestContext(browser, { viewport: PHONE })
    const page = await signIn(context, person)
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))

    await visit(page, `${h.host.url}/overseerr`)
    await page.fill('#overseerr-q', 'browser (live')
    await waitForText(page, '#overseerr-results h3', /Browser \(Live\) Film!/)
    await waitFor('the search in the address bar', () => page.url().includes('q=browser'))
    await expectAccessible(page)
    // With the keyboard: the outcome takes the focus (the button it replaced is gone).
    await page.focus(`#overseerr-action-movie-${tmdbId} button[type=submit]`)
    await page.keyboard.press('Enter')
    await waitForText(page, '#overseerr-outcome', /Requested:/)
    await page.locator('#overseerr-outcome:focus').waitFor()
    const row = await requestRow(h.host, tmdbId)
    expect(row.status).to.equal('pending')

    await visit(page, `${h.host.url}/overseerr/requests`)
    await waitForText(page, `#overseerr-request-${row.id}-status`, 'Waiting for approval')
    // The list's live stream opens while the admin signs in, long before anything changes.

    const adminContext = await newTestContext(browser)
    const adminPage = await signIn(adminContext, h.admin.user)
    await visit(adminPage, `${h.host.url}/admin/overseerr`)
    await adminPage.focus(`#overseerr-queue-${row.id} button:has-text("Approve")`)
    await adminPage.keyboard.press('Enter')
    await waitForText(adminPage, `#overseerr-queue-${row.id}`, /Approved, sending|Requested in Overseerr/)
    await adminPage.locator(`#overseerr-queue-${row.id} [role=status]:focus`).waitFor()
    await expectAccessible(adminPage)

    // The request's own page: its badge and its timeline follow without a reload.
    await visit(page, `${h.host.url}/overseerr/requests/${row.id}`)
    await overseerrCompletes(row.id)
    await waitForText(page, `#overseerr-request-${row.id}-status`, 'Available in Plex', 20_000)
    await waitForText(page, `#overseerr-request-${row.id}-timeline li:first-child`, /→ Available in Plex/, 20_000)
    await expectAccessible(page)
    expect(errors).to.deep.equal([])
    await adminContext.close()
    await context.close()
  })

  it('without JavaScript: the same journey with plain forms and links', async () => {
    const tmdbId = addMovie(h.fake, 'Quiet Browser Film')
    const person = await h.host.createUser({ name: 'No Script' })
    const context = await newTestContext(browser, { viewport: PHONE, javaScriptEnabled: false })
    const page = await signIn(context, person)

    await visit(page, `${h.host.url}/overseerr`)
    await page.fill('#overseerr-q', 'quiet browser')
    await page.click('#overseerr-search-form button[type=submit]')
    await page.waitForURL(/\/overseerr\?q=quiet\+browser/)
    await waitForVisible(page, '#overseerr-results h3:has-text("Quiet Browser Film")')
    await expectAccessible(page)
    await page.click(`#overseerr-action-movie-${tmdbId} button[type=submit]`)
    const row = await requestRow(h.host, tmdbId)
    await page.waitForURL(`${h.host.url}/overseerr/requests/${row.id}`)
    await waitForText(page, `#overseerr-request-${row.id}-status`, 'Waiting for approval')
    await expectAccessible(page)

    const adminContext = await newTestContext(browser, { javaScriptEnabled: false })
    const adminPage = await signIn(adminContext, h.admin.user)
    await visit(adminPage, `${h.host.url}/admin/overseerr`)
    await adminPage.click(`#overseerr-queue-${row.id} button:has-text("Approve")`)
    await adminPage.waitForURL(`${h.host.url}/admin/overseerr`)
    await waitForVisible(adminPage, 'text=Approved: it is on its way to Overseerr.')

    await overseerrCompletes(row.id)
    await waitForStatus(h.host, row.id, 'completed')
    await visit(page, `${h.host.url}/overseerr/requests/${row.id}`)
    await waitForText(page, `#overseerr-request-${row.id}-status`, 'Available in Plex')
    await waitForVisible(page, '.overseerr-timeline li:has-text("Requested in Overseerr → Available in Plex")')
    await expectAccessible(page)
    await adminContext.close()
    await context.close()
  })
})
