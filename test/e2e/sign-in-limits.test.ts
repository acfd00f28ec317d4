// @backend-free: no live update reaches these pages, so the browser sees the same on either database; the server code under them runs on both in the HTTP tests.
// Issue 17 (11) in a real browser: each sign-in form has its own limit, and a refused
// attempt leaves the form in place with the wait in words, with and without JavaScript.
import { expect } from 'chai'
import type { Browser } from 'playwright-core'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { browserAvailable, launchBrowser } from '../support/browser.ts'
import { issuePasswordReset } from '../../core/auth/password-reset.ts'

const WAIT_IN_WORDS = /Try again in \d+ (seconds|minutes|hours|days)\./

describe('in a real browser: sign-in limits for a household', function () {
  this.timeout(120_000)
  let host: TestHost
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    // A week-long window, so no window boundary falls inside the test.
    host = await startTestHost({ config: { rateLimits: { login: { limit: 3, window: '7d' }, authenticated: { limit: 100_000, window: '1m' } } } })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
  })

  it('answers the fourth wrong password with the form still there, saying how long to wait; the reset form still works', async () => {
    const user = await host.createUser()
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${host.url}/login`)
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      await page.fill('#login-form input[name=email]', user.email)
      await page.fill('#login-form input[name=password]', `wrong ${attempt}`)
      const answer = page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST')
      await page.click('#login-form button[type=submit]')
      expect((await answer).status()).to.equal(attempt < 4 ? 401 : 429)
    }
    const message = page.locator('#login-form .alert-error:has-text("Too many")')
    await message.waitFor()
    expect(await message.textContent()).to.match(WAIT_IN_WORDS)
    // The form is there to retry with, and the message has the focus.
    expect(await page.locator('#login-form input[name=password]').count()).to.equal(1)
    await page.locator('#login-form .alert-error:focus').waitFor()

    // The reset form counts on its own: the household's sign-in failures do not block it.
    const link = await issuePasswordReset(host.db, user.id)
    await page.goto(`${host.url}${link}`)
    await page.fill('input[name=password]', 'a long enough new passphrase')
    await page.fill('input[name=confirm]', 'not the same passphrase')
    await page.click('#reset-form button[type=submit]')
    await page.locator('#reset-form input[name=confirm][aria-invalid=true]:focus').waitFor()
    expect(await page.textContent('#reset-form')).to.contain('do not match').and.not.contain('Too many')
    await context.close()
  })

  it('without JavaScript, a refused sign-in is the sign-in page with the form and the wait', async () => {
    const user = await host.createUser()
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(`${host.url}/login`)
    await page.fill('#login-form input[name=email]', user.email)
    await page.fill('#login-form input[name=password]', user.password)
    const answer = page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST')
    await page.click('#login-form button[type=submit]')
    expect((await answer).status()).to.equal(429)
    await page.locator('#login-form .alert-error:has-text("Too many")').waitFor()
    expect(await page.textContent('#login-form')).to.match(WAIT_IN_WORDS)
    expect(await page.locator('#login-form button[type=submit]').count()).to.equal(1)
    await context.close()
  })
})
