// @backend-free: no live update reaches these pages, so the browser sees the same on either database; the server code under them runs on both in the HTTP tests.
// Issue 17 (8–12) in a real browser, JavaScript on: a form error re-renders that form
// with the focus on it; any other error goes to the page's alert region; a form is
// disabled while it is sent; a browser whose session ended is sent to sign in.
import { expect } from 'chai'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { browserAvailable, launchBrowser, shareSession } from '../support/browser.ts'
import type { UserRow } from '../../core/auth/users.ts'

/** The page's live stream, with the mark it was rendered with (/events?since=…). */
const LIVE_STREAM = /\/events(\?.*)?$/

describe('in a real browser: errors, focus, double submits and ended sessions', function () {
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

  /** A browser context signed in as `user` (a session made the way the form makes one). */
  async function browserFor(user?: UserRow & { password: string }): Promise<{ context: BrowserContext; page: Page; user: UserRow & { password: string }; errors: string[] }> {
    const { client, user: signedIn } = await host.signedIn(user)
    const context = await browser.newContext()
    await shareSession(context, client, host.url)
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
    return { context, page, user: signedIn, errors }
  }

  /** The little of the page's window these tests read (the tests compile without the DOM types). */
  type PageWindow = { history: { length: number }; document: { querySelector(s: string): { setAttribute(n: string, v: string): void } | null } }
  const historyLength = (page: Page) => page.evaluate(() => (globalThis as unknown as PageWindow).history.length)

  describe('8: an error that is not a form\'s own', () => {
    it('goes to the page\'s alert region, focused, and leaves the form it came from in place', async () => {
      const { context, page, user } = await browserFor()
      await page.goto(`${host.url}/account/tokens`)
      await page.fill('#account-token-form input[name=name]', 'backup script')
      await page.click('#account-token-form button[type=submit]')
      await page.locator('#account-new-token').waitFor()
      // Revoked elsewhere (another tab): this page's Revoke button now names a token that is gone.
      await host.db('session_tokens').where({ user_id: user.id }).del()
      await page.click('#account-tokens form[action$="/revoke"] button')
      const alert = page.locator('#alerts .alert-error')
      await alert.waitFor()
      expect(await alert.textContent()).to.contain('That API token does not exist or was already revoked.')
      // The token list is still there to act on, and the focus is on the message.
      expect(await page.locator('#account-token-form').count()).to.equal(1)
      expect(await page.locator('#alerts .alert-error:focus').count()).to.equal(1)
      await context.close()
    })
  })

  describe('9: a browser whose session has ended', () => {
    it('is sent to sign in with a notice when it next sends a form, not told the form expired', async () => {
      const { context, page, user } = await browserFor()
      // Without the live stream, which would notice the ended session first and race the form.
      await page.route(LIVE_STREAM, (route) => route.abort())
      await page.goto(`${host.url}/account/tokens`)
      // "Sign out all other sessions" from another browser ends this one.
      const { client: other } = await host.signedIn(user)
      await other.get('/account/sessions')
      expect((await other.post('/account/sessions/revoke-others')).status).to.equal(303)

      await page.fill('#account-token-form input[name=name]', 'after the end')
      await page.click('#account-token-form button[type=submit]')
      await page.waitForURL(`${host.url}/login?next=%2Faccount%2Ftokens`)
      await page.locator('text=Your session has ended. Sign in again.').waitFor()
      expect(await page.content()).not.to.contain('The form has expired')
      expect(await host.db('session_tokens').where({ user_id: user.id }).pluck('id')).to.deep.equal([])
      await context.close()
    })

    it('can still sign out from the header after being signed out elsewhere', async () => {
      const { context, page, user } = await browserFor()
      // The page's live stream would notice the ended session too and send the page to
      // sign in on its own, racing the click: keep it out, so the button is what is tested.
      await page.route(LIVE_STREAM, (route) => route.abort())
      await page.goto(`${host.url}/account`)
      await host.db('sessions').where({ user_id: user.id }).del()
      await page.click('header .account-menu summary')
      await page.click('header button:has-text("Sign out")')
      await page.waitForURL(`${host.url}/login`)
      await page.locator('#login-form').waitFor()
      expect(await page.content()).not.to.contain('The form has expired')
      await context.close()
    })
  })

  describe('10: double submits', () => {
    it('disables the submit button while "Create token" is sent, so a double click makes one token', async () => {
      const { context, page, user } = await browserFor()
      await page.goto(`${host.url}/account/tokens`)
      // Hold the POST until the button has been looked at, so "while in flight" is certain.
      let posts = 0
      let release!: () => void
      const held = new Promise<void>((resolve) => { release = resolve })
      await page.route('**/account/tokens', async (route) => {
        if (route.request().method() !== 'POST') return route.continue()
        posts += 1
        await held
        await route.continue()
      })
      await page.fill('#account-token-form input[name=name]', 'one only')
      const button = page.locator('#account-token-form button[type=submit]')
      await button.click()
      await page.locator('#account-token-form button[type=submit][disabled]').waitFor({ timeout: 5000 })
      // A second click on the disabled button sends nothing.
      await button.click({ force: true })
      release()
      await page.locator('#account-new-token').waitFor()
      expect(posts).to.equal(1)
      expect(await host.db('session_tokens').where({ user_id: user.id }).pluck('name')).to.deep.equal(['one only'])
      await context.close()
    })

    it('answers a replayed "Create token" form with "already sent" and the list, creating nothing', async () => {
      const { client, user } = await host.signedIn()
      const form = await client.get('/account/tokens')
      const once = /name="_once" value="([^"]+)"/.exec(form.text)![1]
      const first = await client.post('/account/tokens', { name: 'replayed', lifetime: '30', _once: once })
      expect(first.status).to.equal(201)
      const again = await client.post('/account/tokens', { name: 'replayed', lifetime: '30', _once: once })
      expect(again.status).to.equal(409)
      expect(again.text).to.contain('That form was already sent').and.not.contain('id="account-new-token"')
      expect(await host.db('session_tokens').where({ user_id: user.id }).pluck('name')).to.deep.equal(['replayed'])
    })
  })

  describe('12: focus and state after a swap', () => {
    it('focuses the first invalid field after a refused profile save, and updates the header name after a good one', async () => {
      const { context, page } = await browserFor()
      await page.goto(`${host.url}/account`)
      await page.fill('#account-profile-form input[name=name]', 'Grace Hopper')
      await page.fill('#account-profile-form input[name=image]', 'http://images.example.com/grace.png')
      await page.click('#account-profile-form button[type=submit]')
      await page.locator('#account-profile-form input[name=image][aria-invalid=true]:focus').waitFor()
      expect(await page.textContent('#account-image-error')).to.contain('https://')

      await page.fill('#account-profile-form input[name=image]', '')
      await page.click('#account-profile-form button[type=submit]')
      await page.locator('#account-profile-form .alert-ok:focus').waitFor()
      await page.locator('#header-account-name:has-text("Grace Hopper")').waitFor()
      await context.close()
    })

    it('while a change is forced: no Dashboard or Admin links, no live stream refused, and the banner goes with the change', async () => {
      const admin = await host.createUser({ role: 'ADMIN', requires_password_change: true })
      const { context, page, errors } = await browserFor(admin)
      await page.goto(`${host.url}/`)
      await page.waitForURL(`${host.url}/account/password`)
      await page.locator('text=An admin asked you to choose a new password').waitFor()
      expect(await page.locator('header a:has-text("Dashboard")').count()).to.equal(0)
      expect(await page.locator('header a:has-text("Admin")').count()).to.equal(0)
      expect(await page.locator('[hx-sse\\:connect]').count()).to.equal(0)

      await page.fill('input[name=current]', admin.password)
      await page.fill('input[name=password]', 'a brand new owner passphrase')
      await page.fill('input[name=confirm]', 'a brand new owner passphrase')
      await page.click('#account-password-form button[type=submit]')
      await page.locator('#account-password-form .alert-ok:focus').waitFor()
      expect(await page.locator('text=An admin asked you').count()).to.equal(0)
      expect(errors.filter((e) => e.includes('403'))).to.deep.equal([])
      await context.close()
    })

    it('error log: one message with field names people use, a Clear link after filtering, and clean URLs', async () => {
      const { context, page } = await browserFor(await host.createUser({ role: 'ADMIN' }))
      await page.goto(`${host.url}/admin/errors`)
      await page.fill('input[name=status]', '99')
      await page.click('form[role=search] button[type=submit]')
      const alert = page.locator('#admin-errors-results .alert-error')
      await alert.waitFor()
      const text = (await alert.textContent())!
      expect(text.match(/Use an HTTP status code/g)).to.have.length(1)
      expect(text).to.contain('Status').and.not.contain('status:')

      await page.fill('input[name=status]', '500')
      await page.click('form[role=search] button[type=submit]')
      // Pushed without the empty fields (?correlation_id=&status=500&user=&from=&to= before).
      await page.waitForURL(`${host.url}/admin/errors?status=500`)
      await page.locator('#admin-errors-results:not(:has(.alert-error)) #admin-errors-clear').waitFor()
      await context.close()
    })

    it('users search: live search then Enter makes one history entry', async () => {
      const { context, page } = await browserFor(await host.createUser({ role: 'ADMIN' }))
      await page.goto(`${host.url}/admin/users`)
      const before = await historyLength(page)
      const live = page.waitForResponse((r) => r.url().includes('/admin/users?q=zebra'))
      await page.fill('input[name=q]', 'zebra')
      await live
      await page.waitForURL(`${host.url}/admin/users?q=zebra`)
      const afterLive = await historyLength(page)
      expect(afterLive).to.equal(before + 1)
      // The same results again: the history is updated before the new table is swapped in.
      await page.evaluate(() => (globalThis as unknown as PageWindow).document.querySelector('#admin-users-table')!.setAttribute('data-before-enter', ''))
      const enter = page.waitForResponse((r) => r.url().includes('/admin/users?q=zebra'))
      await page.press('input[name=q]', 'Enter')
      expect((await enter).headers()['hx-push-url']).to.equal('false')
      await page.locator('#admin-users-table:not([data-before-enter])').waitFor()
      expect(await historyLength(page)).to.equal(afterLive)
      await context.close()
    })
  })

  describe('13: after an action', () => {
    it('deleting a service replaces the confirmation page in the history: Back does not lead to it', async () => {
      const admin = await host.createUser({ role: 'ADMIN' })
      const [row] = await host.db('service_configs').insert({
        service_name: `gone-${Date.now()}`, service_url: 'http://127.0.0.1:5055', enabled: true, config_data: '{}',
      }).returning('id')
      const { context, page } = await browserFor(admin)
      await page.goto(`${host.url}/admin/services`)
      await page.click(`#admin-service-${row.id} a:has-text("Delete")`)
      await page.waitForURL(`${host.url}/admin/services/${row.id}/delete`)
      await page.click('button:has-text("Delete it")')
      await page.locator('text=Service deleted.').waitFor()
      expect(page.url()).to.equal(`${host.url}/admin/services`)
      await page.goBack()
      await page.locator('h1:has-text("Services")').waitFor()
      expect(page.url()).to.equal(`${host.url}/admin/services`)
      expect(await page.locator('text=Service deleted.').count()).to.equal(0)
      await context.close()
    })
  })
})
