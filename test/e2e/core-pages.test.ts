// @backend-specific: what the page shows arrives over the live stream, which on PostgreSQL goes through LISTEN/NOTIFY and on PGlite stays in-process.
import { expect } from 'chai'
import type { Browser } from 'playwright-core'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { browserAvailable, launchBrowser, newTestContext, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText, waitForVisible } from '../support/page-waits.ts'

describe('in a real browser: sign-in, htmx forms and the live stream', function () {
  this.timeout(90_000)
  let host: TestHost
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    host = await startTestHost({ plugins: { hello: { enabled: true } } })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
  })

  it('signs in with htmx, and a fragment pushed on the stream updates the open dashboard', async () => {
    const user = await host.createUser({ name: 'Alice' })
    const context = await newTestContext(browser)
    const errors: string[] = []
    const dashboard = await context.newPage()
    dashboard.on('pageerror', (e) => errors.push(String(e)))
    dashboard.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('401')) errors.push(m.text()) })
    await visit(dashboard, `${host.url}/login`)
    await dashboard.fill('input[name=email]', user.email)
    await dashboard.fill('input[name=password]', 'not the password')
    await dashboard.click('#main button[type=submit]')
    // htmx 4 swaps the 401 answer: the form comes back with its message.
    await waitForText(dashboard, '#login-form .alert-error', 'That email and password do not match an account.')
    await expectAccessible(dashboard)
    await dashboard.fill('input[name=password]', user.password)
    await dashboard.click('#main button[type=submit]')
    await dashboard.waitForURL(`${host.url}/`)
    await waitForText(dashboard, '#hello-count', '0')
    await expectAccessible(dashboard)

    // A second tab sends a greeting through the htmx form (CSRF header from <body>).
    const other = await context.newPage()
    await visit(other, `${host.url}/hello`)
    await other.fill('input[name=message]', 'hi there')
    await other.click('#main button[type=submit]')
    await waitForVisible(other, '#hello-form .alert-ok')
    await expectAccessible(other)
    // The form came back empty, and the sender's list fills in once the job has run.
    expect(await other.inputValue('input[name=message]')).to.equal('')
    await other.locator('#hello-greetings li', { hasText: 'hi there' }).waitFor({ timeout: 15_000 })
    // The job runs, emits its event, and the handler pushes the new count to Alice's pages,
    // however late: a locator polls without eval, which our CSP would refuse.
    await waitForText(dashboard, '#hello-count', '1', 15_000)
    expect(errors).to.deep.equal([])
    await context.close()
  })

  it('works with JavaScript off: plain forms, redirects and full pages', async () => {
    const user = await host.createUser({ name: 'Bob' })
    const context = await newTestContext(browser, { javaScriptEnabled: false })
    const page = await context.newPage()
    await visit(page, `${host.url}/hello`)
    expect(page.url()).to.equal(`${host.url}/login?next=%2Fhello`)
    await page.fill('input[name=email]', user.email)
    await page.fill('input[name=password]', user.password)
    await page.click('#main button[type=submit]')
    await page.waitForURL(`${host.url}/hello`)
    await expectAccessible(page)
    await page.fill('input[name=message]', 'no script needed')
    await page.click('#main button[type=submit]')
    await page.waitForURL(`${host.url}/hello`)
    await waitForVisible(page, '#hello-form .alert-ok')
    // The notice came in a one-shot cookie, not the URL: a reload does not repeat it.
    await page.reload()
    expect(await page.locator('#hello-form .alert-ok').count()).to.equal(0)
    const rows = await host.db('jobs').where({ name: 'hello.greet' }).select('payload')
    expect(rows.map((r: { payload: { message: string } }) => r.payload.message)).to.include('no script needed')

    // The dashboard's cards load with htmx; without it each is a link to the card as a page.
    await visit(page, `${host.url}/`)
    expect(await page.textContent('#hello-widget-greetings')).not.to.contain('Loading')
    await page.click('#hello-widget-greetings a:has-text("Open Greetings")')
    await page.waitForURL(`${host.url}/widgets/hello/greetings`)
    await waitForVisible(page, '#hello-count')
    await expectAccessible(page)
    await context.close()
  })
})
