// @backend-free: no live update reaches these pages, so the browser sees the same on either database; the server code under them runs on both in the HTTP tests.
// Issue 19 in a real browser: "Sign in with Plex" from the sign-in page, with JavaScript
// on (the waiting page polls and moves on by itself) and off (the continue button). The
// "Plex" side is the loopback fake: the test plays the person at app.plex.tv by approving
// the PIN through its control API while the browser waits on our page.
import { expect } from 'chai'
import type { Browser, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForVisible } from '../support/page-waits.ts'
import { startHarness, type Harness } from '../plugins/plex-auth/plex-auth-harness.ts'
import { issueCode } from '../../core/auth/one-time-codes.ts'

describe('in a real browser: sign in with Plex', function () {
  this.timeout(120_000)
  let h: Harness
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    h = await startHarness()
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await h?.stop()
  })

  /** Presses the button on /login; the browser lands on "Plex" (the fake): returns the PIN's code. */
  const pressSignIn = async (page: Page): Promise<string> => {
    await visit(page, `${h.host.url}/login`)
    await page.click('a:has-text("Sign in with Plex")')
    await page.waitForURL((url) => url.href.startsWith(`${h.authUrl}#?`))
    const params = new URLSearchParams(page.url().split('#?')[1])
    expect(params.get('forwardUrl')).to.equal(`${h.host.url}/plex-auth/callback`)
    return params.get('code')!
  }

  it('with JavaScript: the waiting page notices the approval and signs the owner in', async () => {
    const context = await newTestContext(browser)
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    const code = await pressSignIn(page)
    // Plex's forward got lost: the person comes back to the waiting page themselves.
    await visit(page, `${h.host.url}/plex-auth/callback`)
    await waitForVisible(page, '#plex-auth-wait[hx-trigger="every 2s"]')
    h.plexTv.approvePin(code, h.owner.id)
    await page.waitForURL(`${h.host.url}/`, { timeout: 15_000 })
    await expectAccessible(page)
    expect(errors).to.deep.equal([])
    expect(await h.host.db('users').where({ plex_id: String(h.owner.id) }).first()).to.include({ role: 'ADMIN' })
    await context.close()
  })

  it('without JavaScript: the continue button says Plex has not confirmed yet, then signs a friend in', async () => {
    const friend = h.plexTv.addUser({ username: 'NoScript' })
    h.plexTv.shareServer(h.pms.machineIdentifier, friend.id)
    const context = await newTestContext(browser, { javaScriptEnabled: false })
    const page = await context.newPage()
    const code = await pressSignIn(page)
    await visit(page, `${h.host.url}/plex-auth/callback`)
    await page.click('button:has-text("I have signed in to Plex")')
    await waitForVisible(page, 'text=Plex has not confirmed your sign-in yet')
    await expectAccessible(page)
    h.plexTv.approvePin(code, friend.id)
    await page.click('button:has-text("I have signed in to Plex")')
    await page.waitForURL(`${h.host.url}/`)
    await expectAccessible(page)
    expect(await h.host.db('users').where({ plex_id: String(friend.id) }).first()).to.include({ role: 'USER' })
    await context.close()
  })

  it('shows a refusal in words on an accessible page', async () => {
    const stranger = h.plexTv.addUser({ username: 'BrowserStranger' })
    const context = await newTestContext(browser, { javaScriptEnabled: false })
    const page = await context.newPage()
    const code = await pressSignIn(page)
    h.plexTv.approvePin(code, stranger.id)
    await visit(page, `${h.host.url}/plex-auth/callback`)
    // Back on the sign-in page, the reason above the ways in; once only.
    expect(new URL(page.url()).pathname).to.equal('/login')
    await waitForVisible(page, '#login-refusal:has-text("Your Plex account has no access to this server")')
    await expectAccessible(page)
    await visit(page, `${h.host.url}/login`)
    expect(await page.locator('#login-refusal').count()).to.equal(0)
    await context.close()
  })
})

describe('in a real browser: owner-first setup with Plex', function () {
  this.timeout(120_000)
  let h: Harness
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    h = await startHarness({ configureServer: false })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await h?.stop()
  })

  it('with JavaScript: the setup code, the owner\'s Plex sign-in, the server picked; then the button shows', async () => {
    await issueCode(h.host.db, 'setup', 3600_000, 'ABCD-EFGH-JKLM-NPQR')
    // At phone width: the owner may well set it up from the sofa.
    const context = await newTestContext(browser, { viewport: { width: 375, height: 740 } })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await visit(page, `${h.host.url}/login`)
    expect(await page.locator('a:has-text("Sign in with Plex")').count()).to.equal(0)
    await visit(page, `${h.host.url}/setup`)
    const form = page.locator('#setup-with-plex')
    await form.locator('input[name="code"]').fill('WRONG')
    await form.locator('button[type="submit"]').click()
    await waitForVisible(page, '#setup-with-plex-error:has-text("That setup code is wrong")')
    await page.locator('#setup-with-plex input[name="code"]').fill('ABCD-EFGH-JKLM-NPQR')
    await page.locator('#setup-with-plex button[type="submit"]').click()
    await page.waitForURL((url) => url.href.startsWith(`${h.authUrl}#?`))
    const code = new URLSearchParams(page.url().split('#?')[1]).get('code')!
    h.plexTv.approvePin(code, h.owner.id)
    await visit(page, `${h.host.url}/plex-auth/callback`)
    await page.waitForURL(`${h.host.url}/admin/plex-auth/servers`, { timeout: 15_000 })
    await waitForVisible(page, 'h2:has-text("Home Server")')
    await expectAccessible(page)
    await page.click('button:has-text("Use this server")')
    await page.waitForURL(`${h.host.url}/admin/plex-auth`)
    await waitForVisible(page, 'text=Saved: Plex sign-in now checks against this server')
    expect(errors).to.deep.equal([])
    expect(await h.host.db('service_configs').where({ service_name: 'plex' }).first()).to.include({ service_url: h.pms.url })
    const visitor = await newTestContext(browser, { javaScriptEnabled: false })
    const other = await visitor.newPage()
    await visit(other, `${h.host.url}/login`)
    await waitForVisible(other, 'a:has-text("Sign in with Plex")')
    await visitor.close()
    await context.close()
  })
})
