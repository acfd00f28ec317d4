// @backend-specific: the greeting arrives over the live stream, which on PostgreSQL goes through LISTEN/NOTIFY and on PGlite stays in-process.
// Dates in pushed HTML, in a real browser (plugin API 1.13): a live push is one HTML for
// all of a person's pages, so its dates are written in the site's zone with the zone's
// name (ctx.http.formatDate(null, …)); the page names its reader's zone and
// public/local-times.js writes each pushed <time> again in it, as the server writes
// their own pages.
import { expect } from 'chai'
import type { Browser } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, shareSession, visit } from '../support/browser.ts'
import { waitForText } from '../support/page-waits.ts'
import { SseClient } from '../support/sse-client.ts'
import { startTestHost, type TestHost } from 'medianest/testing'
import { formatInZone } from '../../core/time-zones.ts'

describe('in a real browser: a pushed date reads in the reader\'s own zone', function () {
  this.timeout(120_000)
  let host: TestHost
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    host = await startTestHost({ config: { timeZone: 'UTC' }, plugins: { hello: { enabled: true } } })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
  })

  it('rewrites the time in a pushed greeting list from the site\'s zone (UTC) into the reader\'s (Kolkata)', async () => {
    const { client } = await host.signedIn(await host.createUser({ time_zone: 'Asia/Kolkata' }))
    const context = await newTestContext(browser)
    const stream = await SseClient.open(host.url, { Cookie: client.cookieHeader() })
    try {
      await shareSession(context, client, host.url)
      const page = await context.newPage()
      await visit(page, `${host.url}/hello`)
      expect(await page.getAttribute('html', 'data-time-zone')).to.equal('Asia/Kolkata')
      await page.fill('#hello-form input[name=message]', 'Namaste from the test')
      await page.click('#hello-form button[type=submit]')

      // What the server pushed: the site's zone, named, for whichever page gets it.
      await stream.waitFor('the pushed greeting list', (t) => t.includes('Namaste from the test'), 15_000)
      expect(stream.text).to.match(/<time datetime="[^"]+" data-style="datetime">\d+ \w+ \d{4}, \d\d:\d\d UTC<\/time>/)

      // What the reader sees: the same instant, in their zone, as their own pages write it.
      await waitForText(page, '#hello-greetings li', /Namaste from the test/, 15_000)
      await waitForText(page, '#hello-greetings li time', / GMT\+5:30$/, 5_000)
      const time = page.locator('#hello-greetings li', { hasText: 'Namaste from the test' }).locator('time')
      const at = (await time.getAttribute('datetime'))!
      expect((await time.textContent())!.trim()).to.equal(formatInZone(new Date(at), 'Asia/Kolkata'))
    } finally {
      await stream.close()
      await context.close()
    }
  })
})
