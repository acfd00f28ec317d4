// @backend-free: no live update reaches these pages, so the browser sees the same on either database; the server code under them runs on both in the HTTP tests.
// Password reset by email in a real browser at phone width, with JavaScript and without:
// "Forgot your password?" on the sign-in page, a mistyped address refused beside the
// field, the mail from a loopback SMTP server, its link, a new password, signed in.
import { expect } from 'chai'
import type { Browser } from 'playwright-core'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { browserAvailable, launchBrowser, newTestContext, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText } from '../support/page-waits.ts'
import { mailingSite, startFakeSmtp, type FakeSmtp } from '../support/fake-smtp.ts'
import { waitFor } from '../support/wait-for.ts'

const PHONE = { width: 390, height: 740 }

describe('in a real browser: a forgotten password, reset by email', function () {
  this.timeout(180_000)
  let host: TestHost
  let smtp: FakeSmtp
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    smtp = await startFakeSmtp()
    host = await startTestHost({ config: await mailingSite(smtp) })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
    await smtp?.close()
  })

  for (const javaScriptEnabled of [true, false]) {
    it(`${javaScriptEnabled ? 'with' : 'without'} JavaScript: asks for a link, follows it from the mail, and signs in with the new password`, async () => {
      const user = await host.createUser()
      smtp.received.length = 0
      const context = await newTestContext(browser, { javaScriptEnabled, viewport: PHONE })
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      await visit(page, `${host.url}/login`)
      await page.click('a:has-text("Forgot your password?")')
      await page.waitForURL(`${host.url}/forgot-password`)
      await expectAccessible(page)

      // An address the browser's own check lets through (HTML allows a host without a dot) and the server does not.
      await page.fill('#forgot-form input[name=email]', 'bob@example')
      await page.click('#forgot-form button[type=submit]')
      await waitForText(page, '#forgot-email-error', /Enter an email address/)
      if (javaScriptEnabled) await page.locator('#forgot-form input[name=email]:focus').waitFor()
      await expectAccessible(page)

      await page.fill('#forgot-form input[name=email]', user.email)
      await page.click('#forgot-form button[type=submit]')
      await page.waitForURL(`${host.url}/forgot-password/sent`)
      await waitForText(page, '#forgot-sent', /If an account here uses that address/)
      await expectAccessible(page)

      const mail = await waitFor('the reset mail', () => smtp.received.find((m) => m.to[0] === user.email), 30_000)
      const link = /(http:\/\/127\.0\.0\.1:\d+\/reset\/[A-Za-z0-9_-]+)/.exec(mail.raw.replace(/=\r?\n/g, ''))![1]
      expect(link.startsWith(host.url)).to.equal(true)
      await visit(page, link)
      await page.fill('#reset-form input[name=password]', 'a fresh and long passphrase')
      await page.fill('#reset-form input[name=confirm]', 'a fresh and long passphrase')
      await page.click('#reset-form button[type=submit]')
      await page.waitForURL(`${host.url}/login`)
      await page.fill('#login-form input[name=email]', user.email)
      await page.fill('#login-form input[name=password]', 'a fresh and long passphrase')
      await page.click('#login-form button[type=submit]')
      await page.waitForURL(`${host.url}/`)
      expect(errors).to.deep.equal([])
      await context.close()
    })
  }
})
