// The recently added card in a real browser: it loads on the dashboard, its posters
// arrive through the proxy under our CSP, and the page stays accessible (axe), with
// JavaScript on and off.
import { expect } from 'chai'
import type { Browser, Page } from 'playwright-core'
import { startTestHost, type TestHost } from '../../support/test-host.ts'
import { startFakePms, type FakePms } from '../../support/fake-pms.ts'
import { browserAvailable, launchBrowser, newTestContext, visit, shareSession } from '../../support/browser.ts'
import { waitForVisible } from '../../support/page-waits.ts'
import { expectAccessible } from '../../support/axe.ts'
import { configurePlex } from './server-setup.ts'

describe('plex-auth: the recently added card in a browser', function () {
  this.timeout(120_000)
  let host: TestHost
  let pms: FakePms
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    pms = await startFakePms()
    const section = pms.addSection({ type: 'movie', title: 'Movies', locations: ['/m'] })
    pms.addItem(section.key, { file: '/m/a.mp4', title: 'A <b>bold</b> film', visible: true })
    pms.addItem(section.key, { file: '/m/b.mp4', title: 'Second', visible: true })
    host = await startTestHost({ plugins: { 'plex-auth': { enabled: true } } })
    await configurePlex(host, pms.url, pms.token)
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
    await pms?.close()
  })

  async function signedInPage(javaScriptEnabled: boolean): Promise<Page> {
    const { client } = await host.signedIn()
    const context = await newTestContext(browser, { javaScriptEnabled })
    await shareSession(context, client, host.url)
    return context.newPage()
  }

  it('loads the card and its posters on the dashboard', async () => {
    const page = await signedInPage(true)
    const refused: string[] = []
    page.on('console', (m) => { if (m.type() === 'error') refused.push(m.text()) })
    await visit(page, `${host.url}/`)
    await waitForVisible(page, '#plex-auth-widget-recently-added img[alt="A <b>bold</b> film"]')
    const poster = page.locator('#plex-auth-widget-recently-added img').first()
    expect(await poster.evaluate((img) => new Promise<number>((resolve) => {
      const i = img as unknown as { complete: boolean; naturalWidth: number; addEventListener(e: string, f: () => void): void }
      if (i.complete) resolve(i.naturalWidth)
      else i.addEventListener('load', () => resolve(i.naturalWidth))
    }))).to.equal(1)
    const html = await page.content()
    expect(html).not.to.include(pms.token)
    expect(refused).to.deep.equal([])
    // Checked again now that the card has its posters.
    await expectAccessible(page)
    await page.context().close()
  })

  it('works without JavaScript through the card\'s own page', async () => {
    const page = await signedInPage(false)
    await visit(page, `${host.url}/widgets/plex-auth/recently-added`)
    expect(await page.locator('img[alt="Second"]').count()).to.equal(1)
    await page.context().close()
  })
})
