// @backend-free: no live update reaches these pages, so the browser sees the same on either database; the server code under them runs on both in the HTTP tests.
// Email notifications in a real browser at phone width, with JavaScript and without: an
// admin's list refused beside the field for an address with a name in it, then saved; a
// person with a verified address adds a daily summary at a local time and sends a test;
// the test mail's "Stop these emails" link, opened signed out, asks, then stops.
import { expect } from 'chai'
import type { Browser, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, signInThroughForm, visit } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText } from '../support/page-waits.ts'
import type { TestHost } from '../support/test-host.ts'
import { mailingSite, readMail, startFakeSmtp, type FakeSmtp } from '../support/fake-smtp.ts'
import { waitFor } from '../support/wait-for.ts'
import { notificationsHost } from '../plugins/notifications/harness.ts'

const PHONE = { width: 390, height: 740 }

describe('in a real browser: email notifications', function () {
  this.timeout(180_000)
  let host: TestHost
  let smtp: FakeSmtp
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    smtp = await startFakeSmtp()
    host = await notificationsHost({}, { config: await mailingSite(smtp) })
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
    await smtp?.close()
  })

  const signIn = (page: Page, user: { email: string; password: string }, to: string) => signInThroughForm(page, host.url, user, to)

  for (const javaScriptEnabled of [true, false]) {
    const mode = javaScriptEnabled ? 'with' : 'without'

    it(`${mode} JavaScript: an admin's list with a name in an address is refused beside the field, then saved`, async () => {
      const admin = await host.createUser({ role: 'ADMIN' })
      const context = await newTestContext(browser, { javaScriptEnabled, viewport: PHONE })
      const page = await context.newPage()
      await signIn(page, admin, '/admin/notifications')
      const form = '#notifications-admin-channels form[action="/admin/notifications/channels"]'
      await page.selectOption(`${form} select[name=kind]`, 'email')
      await page.fill(`${form} input[name=name]`, `Family ${mode}`)
      await page.fill(`${form} textarea[name=addresses]`, 'Boss <boss@example.com>')
      await page.click(`${form} button:has-text("Add channel")`)
      await waitForText(page, '#notifications-admin-addresses-error', /Give one plain address/)
      if (javaScriptEnabled) await page.locator(`${form} textarea[name=addresses]:focus`).waitFor()
      expect(await host.db('notification_channels').where({ name: `Family ${mode}` }).first()).to.equal(undefined)
      await expectAccessible(page)

      await page.fill(`${form} textarea[name=addresses]`, 'boss@example.com\nkid@example.com')
      await page.click(`${form} button:has-text("Add channel")`)
      await waitForText(page, '#notifications-admin-channels', new RegExp(`Family ${mode} \\(Email`))
      await waitForText(page, '#notifications-admin-channels', /boss@example\.com and 1 more/)
      await context.close()
    })

    it(`${mode} JavaScript: a person adds a daily summary, sends a test, and the mail's link stops it after asking`, async () => {
      const user = await host.createUser({ name: `Mo ${mode}` })
      await host.db('users').where({ id: user.id }).update({ email_verified: true })
      const context = await newTestContext(browser, { javaScriptEnabled, viewport: PHONE })
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      await signIn(page, user, '/notifications/preferences')
      const own = '#notifications-own-channels'
      await page.selectOption(`${own} select[name=kind]`, 'email')
      await page.fill(`${own} input[name=name]`, 'Mailbox')
      await page.selectOption(`${own} select[name=digest]`, 'daily')
      await page.fill(`${own} input[name=digest_at]`, '07:30')
      await page.selectOption(`${own} select[name=time_zone]`, 'Europe/Berlin')
      await page.click(`${own} button:has-text("Add target")`)
      await waitForText(page, own, /a daily summary at 07:30 \(Europe\/Berlin\)/)
      await expectAccessible(page)

      const sent = smtp.received.length
      await page.click(`${own} button:has-text("Send test")`)
      await waitForText(page, own, /Handed a test mail for “Mailbox”/, 20_000)
      const raw = await waitFor('the test mail', () => smtp.received.slice(sent).find((m) => m.to.includes(user.email)), 30_000)
      const mail = await readMail(raw)
      const link = /Stop these emails: (\S+)/.exec(mail.text)![1]
      expect(link.startsWith(`${host.url}/notifications/unsubscribe/`)).to.equal(true)

      // Opened from the mail, signed out.
      const reader = await newTestContext(browser, { javaScriptEnabled, viewport: PHONE })
      const readerPage = await reader.newPage()
      await visit(readerPage, link)
      await waitForText(readerPage, 'h1', 'Stop these emails?')
      const channel = () => host.db('notification_channels').where({ owner_user_id: user.id }).first()
      expect((await channel()).enabled).to.equal(true)
      await expectAccessible(readerPage)
      await readerPage.click('button:has-text("Stop these emails")')
      await waitForText(readerPage, 'h1', 'Stopped')
      await waitForText(readerPage, '#notifications-unsubscribe [role=status]', /No more mail from “Mailbox” goes to this address\./)
      expect((await channel()).enabled).to.equal(false)
      await expectAccessible(readerPage)
      expect(errors).to.deep.equal([])
      await reader.close()
      await context.close()
    })
  }
})
