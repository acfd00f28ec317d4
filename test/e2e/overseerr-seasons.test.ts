// @backend-specific: bob's page learns of his season over the live stream, which on PostgreSQL goes through LISTEN/NOTIFY and on PGlite stays in-process.
// The requests journey in a real browser at 390 px (issue 30): bob (JavaScript on) opens
// discovery, follows the show's card to its title page (poster and backdrop from our own
// origin), asks for seasons 1 and 2; an admin approves; season 1 reaches Plex and bob's
// open request page says so without a reload. carol (JavaScript off) finds the show the
// same way: season 1 in Plex, season 2 asked for by someone, season 3 free; she asks for
// season 3 with the plain form. Both requests complete. bob then reports a problem with
// season 1 (a message too long first: the form comes back with it beside the field).
// axe on each page.
import { expect } from 'chai'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, shareSession, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText, waitForVisible } from '../support/page-waits.ts'
import { startHarness, waitForStatus, WEBHOOK_SECRET, type Harness } from '../plugins/overseerr/harness.ts'
import { startFakeImageHost, type FakeImageHost } from '../support/fake-image-host.ts'
import { drawnPoster } from '../support/household.ts'
import { MediaStatus } from '../support/fake-overseerr.ts'

const PHONE = { width: 390, height: 844 }

describe('in a real browser: a show asked for season by season, by two people', function () {
  this.timeout(180_000)
  let h: Harness
  let browser: Browser
  let images: FakeImageHost

  before(async function () {
    if (!browserAvailable()) this.skip()
    images = await startFakeImageHost()
    h = await startHarness({ syncEvery: '1h', images: { host: images.url } })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await h?.stop()
    await images?.close()
  })

  async function pageAs(name: string, javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page; userId: string }> {
    const { client, user } = await h.host.signedIn(await h.host.createUser({ name }))
    const context = await newTestContext(browser, { viewport: PHONE, javaScriptEnabled })
    await shareSession(context, client, h.host.url)
    return { context, page: await context.newPage(), userId: user.id }
  }
  const requestOf = async (userId: string) => (await h.host.db('media_requests').where({ user_id: userId }).first())!

  it('discover → title page → seasons 1–2 for bob (JavaScript on) → season 1 in Plex → season 3 for carol (JavaScript off) → both complete', async () => {
    const show = 9500
    h.fake.addTitle({ mediaType: 'tv', tmdbId: show, title: 'Harbour Lights', year: 2031, poster: '/harbour.jpg', backdrop: '/harbour-wide.jpg', genres: ['Drama'], seasons: [1, 2, 3].map((seasonNumber) => ({ seasonNumber, episodeCount: 6 })) })
    images.addImage('/t/p/w300/harbour.jpg', drawnPoster('harbour'), 'image/png')
    images.addImage('/t/p/w1280/harbour-wide.jpg', drawnPoster('harbour-wide', 640, 200), 'image/png')

    const bob = await pageAs('Bob Browser', true)
    const errors: string[] = []
    bob.page.on('pageerror', (e) => errors.push(String(e)))
    // The one console line expected: the 422 of the report form sent with too long a message.
    bob.page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('status of 422')) errors.push(m.text()) })
    await visit(bob.page, `${h.host.url}/overseerr`)
    await bob.page.click(`section[aria-labelledby="overseerr-row-popular-shows"] a[href="/overseerr/tv/${show}"]`)
    await bob.page.waitForURL(`${h.host.url}/overseerr/tv/${show}`)
    await waitForText(bob.page, 'h1', /Harbour Lights/)
    // The poster and the backdrop came from our origin, and decoded.
    for (const img of ['.title-poster img', '.title-backdrop']) {
      const loaded = bob.page.locator(img)
      expect(await loaded.getAttribute('src')).to.match(/^\/overseerr\/images\/w\d+\//)
      await bob.page.locator(`${img}:not([src=""])`).waitFor()
      expect(await loaded.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).complete && (el as unknown as { naturalWidth: number }).naturalWidth > 0)).to.equal(true)
    }
    await expectAccessible(bob.page)
    await bob.page.check('input[name=seasonChoice][value=some]')
    await bob.page.check('input[name=seasons][value="1"]')
    await bob.page.check('input[name=seasons][value="2"]')
    await bob.page.click('#overseerr-seasons-form button[type=submit]')
    await waitForText(bob.page, '#overseerr-outcome', /Requested:/)
    await bob.page.locator('#overseerr-outcome:focus').waitFor()
    const bobs = await requestOf(bob.userId)
    expect(await h.host.db('media_request_seasons').where({ request_id: bobs.id }).orderBy('season_number').pluck('season_number')).to.deep.equal([1, 2])
    await visit(bob.page, `${h.host.url}/overseerr/requests/${bobs.id}`)
    await h.admin.client.post(`/admin/overseerr/requests/${bobs.id}/approve`, {})
    const sent = await waitForStatus(h.host, bobs.id, 'in_progress')
    // Season 1 arrives first: Overseerr marks the show partly available.
    h.fake.moveRequest(sent.overseerr_id, 'partially-available')
    h.fake.setSeasonAvailability(show, [1], MediaStatus.AVAILABLE)
    expect((await h.fake.sendWebhook(`${h.host.url}/overseerr/hooks/overseerr`, { authorization: WEBHOOK_SECRET, payload: h.fake.webhookPayload('MEDIA_AVAILABLE', sent.overseerr_id) })).status).to.equal(202)
    // No reload: the timeline follows, and the request stays open for season 2.
    await waitForText(bob.page, `#overseerr-request-${bobs.id}-timeline`, /Season 1 is in Plex now\./, 20_000)
    expect((await requestOf(bob.userId)).status).not.to.equal('completed')
    await expectAccessible(bob.page)

    const carol = await pageAs('Carol Plain', false)
    await visit(carol.page, `${h.host.url}/overseerr`)
    await carol.page.click(`section[aria-labelledby="overseerr-row-popular-shows"] a[href="/overseerr/tv/${show}"]`)
    await carol.page.waitForURL(`${h.host.url}/overseerr/tv/${show}`)
    await waitForText(carol.page, '#overseerr-availability', /Partly in Plex: season 1\./)
    await waitForText(carol.page, '#overseerr-season-1', /In Plex/)
    await waitForText(carol.page, '#overseerr-season-2', /Asked for by someone/)
    expect(await carol.page.locator('input[name=seasons]').count()).to.equal(1)
    await waitForText(carol.page, '#overseerr-seasons-form', /Every season nobody has asked for \(3\)/)
    await expectAccessible(carol.page)
    await carol.page.click('#overseerr-seasons-form button[type=submit]')
    const carols = await requestOf(carol.userId)
    await carol.page.waitForURL(`${h.host.url}/overseerr/requests/${carols.id}`)
    await waitForText(carol.page, '#overseerr-request-page', /TV show: season 3/)
    await expectAccessible(carol.page)

    // The rest arrives: season 2 for bob, season 3 for carol.
    h.fake.moveRequest(sent.overseerr_id, 'available')
    await h.fake.sendWebhook(`${h.host.url}/overseerr/hooks/overseerr`, { authorization: WEBHOOK_SECRET, payload: h.fake.webhookPayload('MEDIA_AVAILABLE', sent.overseerr_id) })
    await waitForText(bob.page, `#overseerr-request-${bobs.id}-status`, 'Available in Plex', 20_000)
    await h.admin.client.post(`/admin/overseerr/requests/${carols.id}/approve`, {})
    const carolSent = await waitForStatus(h.host, carols.id, 'in_progress')
    h.fake.moveRequest(carolSent.overseerr_id, 'available')
    await h.fake.sendWebhook(`${h.host.url}/overseerr/hooks/overseerr`, { authorization: WEBHOOK_SECRET, payload: h.fake.webhookPayload('MEDIA_AVAILABLE', carolSent.overseerr_id) })
    await waitForStatus(h.host, carols.id, 'completed')
    await visit(carol.page, `${h.host.url}/overseerr/requests/${carols.id}`)
    await waitForText(carol.page, `#overseerr-request-${carols.id}-status`, 'Available in Plex')
    await waitForVisible(carol.page, `#overseerr-request-${carols.id}-timeline li:has-text("Season 3 is in Plex now.")`)
    expect((await requestOf(bob.userId)).status).to.equal('completed')

    // In Plex now: bob reports a problem with season 1; too long a message first.
    await visit(bob.page, `${h.host.url}/overseerr/tv/${show}`)
    await waitForText(bob.page, '#overseerr-availability', /In Plex: ready to watch\./)
    await bob.page.click('#overseerr-report > summary')
    await bob.page.check('input[name=problemType][value=subtitles]')
    await bob.page.selectOption('#overseerr-problem-season', '1')
    await bob.page.fill('#overseerr-problem-episode', '2')
    await bob.page.fill('#overseerr-problem-message', 'x'.repeat(2001))
    await bob.page.click('#overseerr-problem-form button[type=submit]')
    await waitForText(bob.page, '#overseerr-problem-message-error', /Keep it to 2,000 characters; this one has 2,001\./)
    await bob.page.locator('#overseerr-problem-message:focus').waitFor()
    await bob.page.fill('#overseerr-problem-message', 'The subtitles run a second late.')
    await bob.page.click('#overseerr-problem-form button[type=submit]')
    await waitForText(bob.page, '.alert-ok', /the problem is reported/)
    await waitForText(bob.page, '#overseerr-problem-list', /Subtitles, season 1 episode 2/)
    await expectAccessible(bob.page)
    expect(errors).to.deep.equal([])
    await Promise.all([bob.context.close(), carol.context.close()])
  })
})
