// @backend-specific: bob's page learns of his season over the live stream, which on PostgreSQL goes through LISTEN/NOTIFY and on PGlite stays in-process.
// A show, season by season, in a real browser at 390 px (issue 30, part 1): bob picks
// season 1 with JavaScript; an admin approves; season 1 reaches Plex and bob's open page
// says so without a reload. carol, without JavaScript, sees season 1 in Plex on the
// picker, asks for season 2 with the plain form, and hers completes too. axe on each page.
import { expect } from 'chai'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, shareSession, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText, waitForVisible } from '../support/page-waits.ts'
import { addShow, startHarness, waitForStatus, WEBHOOK_SECRET, type Harness } from '../plugins/overseerr/harness.ts'

const PHONE = { width: 390, height: 844 }

describe('in a real browser: a show asked for season by season, by two people', function () {
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

  async function pageAs(name: string, javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page; userId: string }> {
    const { client, user } = await h.host.signedIn(await h.host.createUser({ name }))
    const context = await newTestContext(browser, { viewport: PHONE, javaScriptEnabled })
    await shareSession(context, client, h.host.url)
    return { context, page: await context.newPage(), userId: user.id }
  }
  /** The admin approves, Overseerr gets the season into Plex and says so through its webhook. */
  async function approvedAndInPlex(requestId: string): Promise<void> {
    await h.admin.client.post(`/admin/overseerr/requests/${requestId}/approve`, {})
    const sent = await waitForStatus(h.host, requestId, 'in_progress')
    h.fake.moveRequest(sent.overseerr_id, 'available')
    const res = await h.fake.sendWebhook(`${h.host.url}/overseerr/hooks/overseerr`, { authorization: WEBHOOK_SECRET, payload: h.fake.webhookPayload('MEDIA_AVAILABLE', sent.overseerr_id) })
    expect(res.status).to.equal(202)
  }
  const requestOf = async (userId: string) => (await h.host.db('media_requests').where({ user_id: userId }).first())!

  it('season 1 for bob (JavaScript on), then season 2 for carol (JavaScript off): both reach Plex', async () => {
    const show = addShow(h.fake, 'Harbour Lights', 2)

    const bob = await pageAs('Bob Browser', true)
    const errors: string[] = []
    bob.page.on('pageerror', (e) => errors.push(String(e)))
    await visit(bob.page, `${h.host.url}/overseerr/tv/${show}`)
    await bob.page.check('input[name=seasonChoice][value=some]')
    await bob.page.check('input[name=seasons][value="1"]')
    await bob.page.click('#overseerr-seasons-form button[type=submit]')
    await waitForText(bob.page, '#overseerr-outcome', /Requested:/)
    await bob.page.locator('#overseerr-outcome:focus').waitFor()
    const bobs = await requestOf(bob.userId)
    expect(await h.host.db('media_request_seasons').where({ request_id: bobs.id }).pluck('season_number')).to.deep.equal([1])
    await visit(bob.page, `${h.host.url}/overseerr/requests/${bobs.id}`)
    await approvedAndInPlex(bobs.id)
    // No reload: the badge and the timeline follow.
    await waitForText(bob.page, `#overseerr-request-${bobs.id}-status`, 'Available in Plex', 20_000)
    await waitForText(bob.page, `#overseerr-request-${bobs.id}-timeline`, /Season 1 is in Plex now\./, 20_000)
    await expectAccessible(bob.page)
    expect(errors).to.deep.equal([])

    const carol = await pageAs('Carol Plain', false)
    await visit(carol.page, `${h.host.url}/overseerr/tv/${show}`)
    await waitForText(carol.page, '#overseerr-season-1', /In Plex/)
    expect(await carol.page.locator('input[name=seasons][value="1"]').count()).to.equal(0)
    // "Every season nobody has asked for" is season 2 alone.
    await waitForText(carol.page, '#overseerr-seasons-form', /Every season nobody has asked for \(2\)/)
    await carol.page.click('#overseerr-seasons-form button[type=submit]')
    const carols = await requestOf(carol.userId)
    await carol.page.waitForURL(`${h.host.url}/overseerr/requests/${carols.id}`)
    await waitForText(carol.page, '#overseerr-request-page', /TV show: season 2/)
    await expectAccessible(carol.page)
    await approvedAndInPlex(carols.id)
    await waitForStatus(h.host, carols.id, 'completed')
    await visit(carol.page, `${h.host.url}/overseerr/requests/${carols.id}`)
    await waitForText(carol.page, `#overseerr-request-${carols.id}-status`, 'Available in Plex')
    await waitForVisible(carol.page, `#overseerr-request-${carols.id}-timeline li:has-text("Season 2 is in Plex now.")`)
    await expectAccessible(carol.page)
    expect((await requestOf(bob.userId)).status).to.equal('completed')
    await Promise.all([bob.context.close(), carol.context.close()])
  })
})
