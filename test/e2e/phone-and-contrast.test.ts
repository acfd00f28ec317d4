// @backend-free: no live update reaches these pages, so the browser sees the same on either database; the server code under them runs on both in the HTTP tests.
import { expect } from 'chai'
import type { Browser } from 'playwright-core'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { browserAvailable, launchBrowser, newTestContext, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { describePhonePages } from './phone-pages.ts'

describePhonePages(true)

describe('in a real browser: the accessibility check itself', function () {
  this.timeout(120_000)
  let host: TestHost
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    host = await startTestHost()
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
  })

  for (const javaScriptEnabled of [true, false]) {
    it(`fails on text that is too faint to read (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
      const context = await newTestContext(browser, { javaScriptEnabled })
      try {
        const page = await context.newPage()
        await visit(page, `${host.url}/login`)
        // Through the CSSOM (allowed by our CSP, and serialised into the markup the no-JS check reads).
        await page.evaluate(() => {
          const doc = (globalThis as unknown as { document: { querySelector(s: string): { style: { color: string } } } }).document
          doc.querySelector('h1').style.color = '#d0d0d0'
        })
        const failure = await expectAccessible(page).then(() => null, (error: Error) => error)
        expect(failure?.message).to.include('color-contrast')
      } finally {
        await context.close()
      }
    })
  }
})
