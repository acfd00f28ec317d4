// @backend-specific: what the page shows arrives over the live stream, which on PostgreSQL goes through LISTEN/NOTIFY and on PGlite stays in-process.
// Issue 23 in a real browser: an event arrives while the page is open and the bell's
// count changes without a reload (JavaScript on, through the page's one SSE stream); with
// JavaScript off the count is right after the next navigation. Axe-clean, at phone width.
import { expect } from 'chai'
import type { Browser, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, signInThroughForm, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText, waitForVisible } from '../support/page-waits.ts'
import type { TestHost } from '../support/test-host.ts'
import { emit, notificationsHost, settled } from '../plugins/notifications/harness.ts'
import { startFakeReceiver } from '../support/fake-receiver.ts'

const PHONE = { width: 390, height: 740 }

describe('in a real browser: the notifications bell', function () {
  this.timeout(120_000)
  let host: TestHost
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    // People may add their own ntfy targets on loopback (the fake receiver).
    host = await notificationsHost({ userTargetHosts: { discord: [], ntfy: ['127.0.0.1'] } })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
  })

  const signIn = (page: Page, user: { email: string; password: string }, to: string) => signInThroughForm(page, host.url, user, to)

  it('with JavaScript: the count changes without a reload when an event arrives, and the drop-down lists it', async () => {
    const user = await host.createUser({ name: 'Ada' })
    const { client } = await host.signedIn(user)
    const context = await newTestContext(browser, { viewport: PHONE })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    // The page's one stream has answered (its headers are in) before the event is sent,
    // so the update cannot slip past a stream still connecting on a busy machine.
    const streamOpen = page.waitForResponse((r) => new URL(r.url()).pathname === '/events' && r.status() === 200, { timeout: 30_000 })
    await signIn(page, user, '/notifications')
    await streamOpen
    await waitForText(page, '#notifications-bell-count', '0')
    await emit(client, 'request.approved', { userId: user.id, title: 'Arrival <b>live</b>', id: 1 })
    await waitForText(page, '#notifications-bell-count', '1', 20_000)
    await page.click('.notifications-bell-menu summary')
    await waitForVisible(page, '#notifications-bell-latest a:has-text("Approved: Arrival <b>live</b>")')
    // At 390 px the drop-down hangs from the header, all of it on the screen.
    const panel = (await page.locator('#notifications-bell-latest').boundingBox())!
    expect(panel.x).to.be.at.least(0)
    expect(panel.x + panel.width).to.be.at.most(PHONE.width)
    await expectAccessible(page)
    // Marked read from this page (htmx), the count follows.
    await settled(host)
    await page.reload()
    await page.click('#notifications-list button:has-text("Mark read")')
    await waitForText(page, '#notifications-bell-count', '0', 15_000)
    expect(errors).to.deep.equal([])
    await context.close()
  })

  it('with the keyboard: Save preferences and Send test leave the focus on what they did', async () => {
    const ntfy = await startFakeReceiver('ntfy')
    try {
      const user = await host.createUser({ name: 'Kay' })
      const { client } = await host.signedIn(user)
      expect((await client.post('/notifications/preferences/channels', { kind: 'ntfy', name: 'Phone', url: `${ntfy.url}/kay` })).status).to.equal(303)
      const context = await newTestContext(browser, { viewport: PHONE })
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      await signIn(page, user, '/notifications/preferences')

      await page.focus('#notifications-preferences-form button[type=submit]')
      await page.keyboard.press('Enter')
      await page.locator('#notifications-preferences-form .alert-ok:focus').waitFor()

      await page.focus('#notifications-own-channels button:has-text("Send test")')
      await page.keyboard.press('Enter')
      // The result beside the target, with the focus on it.
      await page.locator('#notifications-own-channels [role=status]:focus').waitFor({ timeout: 20_000 })
      expect(await page.textContent('#notifications-own-channels [role=status]:focus')).to.match(/^Last test \(.+ UTC\): sent\. Sent a test message to/)
      expect(ntfy.posts()).to.have.length(1)
      await expectAccessible(page)
      expect(errors).to.deep.equal([])
      await context.close()
    } finally {
      await ntfy.close()
    }
  })

  it('without JavaScript: the link shows the count as of each page load; forms still work', async () => {
    const user = await host.createUser({ name: 'Bea' })
    const { client } = await host.signedIn(user)
    const context = await newTestContext(browser, { javaScriptEnabled: false, viewport: PHONE })
    const page = await context.newPage()
    await signIn(page, user, '/notifications')
    expect(await page.textContent('#notifications-bell-count')).to.match(/^0/)
    await emit(client, 'party.announced', { title: 'Offline film' })
    await settled(host)
    await visit(page, `${host.url}/notifications/preferences`)
    expect(await page.textContent('#notifications-bell-count')).to.match(/^1/)
    await expectAccessible(page)
    // Send test without JavaScript: back to the page with a one-time notice and the result
    // beside the target; reloading it sends nothing again.
    const ntfy = await startFakeReceiver('ntfy')
    try {
      await page.fill('#notifications-own-channels input[name=name]', 'Phone')
      await page.fill('#notifications-own-channels input[name=url]', `${ntfy.url}/bea-topic`)
      await page.selectOption('#notifications-own-channels select[name=kind]', 'ntfy')
      await page.click('#notifications-own-channels button:has-text("Add target")')
      await page.waitForURL(`${host.url}/notifications/preferences`)
      await page.click('#notifications-own-channels button:has-text("Send test")')
      await page.waitForURL(/\/notifications\/preferences#notifications-channel-/)
      await waitForText(page, '#notifications-own-channels', /Test done: its result is beside the channel\./)
      await waitForText(page, '#notifications-own-channels', /Last test \(.+ UTC\): sent\./)
      await page.reload()
      await waitForText(page, '#notifications-own-channels', /Last test/)
      expect(ntfy.posts()).to.have.length(1)
      await expectAccessible(page)
    } finally {
      await ntfy.close()
    }
    await visit(page, `${host.url}/notifications`)
    await page.click('#notifications-list button:has-text("Mark read")')
    await page.waitForURL(`${host.url}/notifications`)
    expect(await page.textContent('#notifications-bell-count')).to.match(/^0/)
    await context.close()
  })
})
