// @backend-specific: what the page shows arrives over the live stream, which on PostgreSQL goes through LISTEN/NOTIFY and on PGlite stays in-process.
// Issue 21 in a real browser at phone width: submit a loopback playlist and watch the
// progress bar move as live updates arrive (JavaScript on), and submit then see the
// result after reloading (JavaScript off). Every page is axe-checked by visit().
import { expect } from 'chai'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, visit, shareSession } from '../support/browser.ts'
import { expectAccessible } from '../support/axe.ts'
import { waitForText, waitForVisible } from '../support/page-waits.ts'
import { waitFor } from '../support/wait-for.ts'
import { rows, startHarness, type Harness } from '../plugins/youtube/harness.ts'
import { publishRow } from '../../plugins/youtube/live-row.ts'

const PHONE = { width: 375, height: 740 }

describe('in a real browser: YouTube downloads', function () {
  this.timeout(180_000)
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

  async function signedInPage(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const { client } = await h.host.signedIn()
    const context = await newTestContext(browser, { javaScriptEnabled, viewport: PHONE })
    await shareSession(context, client, h.host.url)
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
    return { context, page, errors }
  }

  it('with JavaScript: the progress bar moves by itself, then the files are listed', async () => {
    h.videos.setPlaylist('e2e-js', 'Phone Playlist', ['x-one', 'x-two'])
    h.videos.gate('x-one', 14_000)
    const { context, page, errors } = await signedInPage(true)
    await visit(page, `${h.host.url}/youtube`)
    await page.fill('#youtube-form-url', h.videos.playlistUrl('e2e-js'))
    await page.focus('#youtube-form button[type=submit]')
    await page.keyboard.press('Enter')
    await waitForText(page, '#youtube-form [role=status]', 'Queued “Phone Playlist”: 2 items.', 30_000)
    await page.locator('#youtube-form [role=status]:focus').waitFor()
    // Live updates, not a reload: the row says which item, and the bar has moved off zero.
    await waitForText(page, '#youtube-downloads', /item 1 of 2/, 30_000)
    await waitForVisible(page, '#youtube-downloads progress:not([value="0"])', 30_000)
    const value = Number(await page.getAttribute('#youtube-downloads progress', 'value'))
    expect(value).to.be.greaterThan(0).and.lessThan(100)
    await expectAccessible(page)
    h.videos.open()
    await waitForText(page, '#youtube-downloads', /Status: Completed/, 60_000)
    await waitForText(page, '#youtube-downloads', /2 files/)
    expect(await page.locator('#youtube-downloads progress').count()).to.equal(0)
    await expectAccessible(page)

    // Delete asks in a dialog: Escape keeps the download, Delete (with its files) removes it.
    const row = page.locator('#youtube-downloads li:has-text("Phone Playlist")')
    await row.locator('a:has-text("Delete")').click()
    const dialog = row.locator('dialog[open]')
    await dialog.waitFor()
    await waitForText(page, '#youtube-downloads dialog[open] h2', 'Delete “Phone Playlist”?')
    await expectAccessible(page)
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    await row.locator('a:has-text("Delete")').click()
    await dialog.waitFor()
    // A live update of the row while the dialog is open (the Plex step finishing, say) keeps it open.
    const [done] = await rows(h.host)
    const youtube = h.host.app.host.plugins.find((p) => p.name === 'youtube')!.ctx as Parameters<typeof publishRow>[0]
    await page.locator(`#youtube-download-${done.id}`).evaluate((li) => { (li as unknown as { dataset: Record<string, string> }).dataset.before = 'swap' })
    await publishRow(youtube, await h.host.db('youtube_downloads').where({ id: done.id }).first())
    // The old row is gone (replaced by the live one), and the dialog is still open in the new one.
    await page.locator('#youtube-downloads li[data-before="swap"]').waitFor({ state: 'detached' })
    await dialog.waitFor()
    await dialog.locator('input[name=files]').check()
    await dialog.locator('button:has-text("Delete")').click()
    await waitForText(page, '#youtube-form [role=status]', 'Deleted.', 30_000)
    await page.locator('#youtube-downloads li:has-text("Phone Playlist")').waitFor({ state: 'detached' })

    // Cancel, with the keyboard: the card's buttons change, and the focus goes to the notice.
    h.videos.setPlaylist('e2e-cancel', 'Cancelled List', ['z-one'])
    h.videos.gate('z-one', 30_000)
    await page.fill('#youtube-form-url', h.videos.playlistUrl('e2e-cancel'))
    await page.focus('#youtube-form button[type=submit]')
    await page.keyboard.press('Enter')
    await waitForText(page, '#youtube-form [role=status]', /Queued “Cancelled List.*”: 1 item\./, 30_000)
    await page.focus('#youtube-downloads li:has-text("Cancelled List") button:has-text("Cancel")')
    await page.keyboard.press('Enter')
    await waitForText(page, '#youtube-form [role=status]', 'Cancelled.', 30_000)
    await page.locator('#youtube-form [role=status]:focus').waitFor()
    h.videos.open()
    // Nothing wider than the phone.
    const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)
    expect(width).to.be.at.most(PHONE.width)
    expect(errors).to.deep.equal([])
    await context.close()
  })

  it('without JavaScript: a bad address is refused beside the field; a good one shows its result after a reload', async () => {
    h.videos.setPlaylist('e2e-nojs', 'No Script List', ['y-one', 'y-two'])
    const { context, page } = await signedInPage(false)
    await visit(page, `${h.host.url}/youtube`)
    await page.fill('#youtube-form-url', 'file:///etc/passwd')
    await page.click('#youtube-form button[type=submit]')
    await waitForText(page, '#youtube-form-url-error', 'Only http:// and https:// addresses can be downloaded.')
    expect(await page.getAttribute('#youtube-form-url', 'aria-invalid')).to.equal('true')
    await expectAccessible(page)

    await page.fill('#youtube-form-url', h.videos.playlistUrl('e2e-nojs'))
    await page.click('#youtube-form button[type=submit]')
    await page.waitForURL(`${h.host.url}/youtube`)
    await waitForText(page, '#youtube-form [role=status]', 'Queued. Its progress shows below.')
    await waitForText(page, '#youtube-downloads', /No Script List/)
    await waitFor('the download to finish, seen by reloading', async () => {
      await visit(page, `${h.host.url}/youtube`)
      return /Status: Completed/.test((await page.locator('#youtube-downloads').textContent()) ?? '')
    }, 60_000)
    await waitForText(page, '#youtube-downloads', /2 files/)

    // Delete opens a confirm page; "Delete" there removes it and comes back to the list.
    await page.click('#youtube-downloads li:has-text("No Script List") a:has-text("Delete")')
    await waitForText(page, 'h1', 'Delete “No Script List”?')
    await expectAccessible(page)
    await page.check('input[name=files]')
    await page.click('main button:has-text("Delete")')
    await page.waitForURL(`${h.host.url}/youtube`)
    await waitForText(page, '#youtube-form [role=status]', 'Deleted.')
    expect(await page.locator('#youtube-downloads li:has-text("No Script List")').count()).to.equal(0)
    await context.close()
  })

  it('a channel as a source: added with its newest two (numbered live), then its videos page with Pin, with JavaScript', async () => {
    const url = h.videos.setChannel('e2e-chan', 'Phone Channel', [{ clip: 'c-two', title: 'Second', date: '2026-06-02' }, { clip: 'c-one', title: 'First', date: '2026-06-01' }])
    h.videos.gate('c-two', 14_000)
    h.videos.gate('c-one', 14_000)
    const { context, page, errors } = await signedInPage(true)
    await visit(page, `${h.host.url}/youtube`)
    await page.fill('#youtube-form-url', url)
    await page.fill('#youtube-form-newest', '2')
    await page.click('#youtube-form button[type=submit]:not([name])')
    await waitForText(page, '#youtube-form [role=status]', 'Queued “Phone Channel”: 2 items, followed.', 30_000)
    await waitForText(page, '#youtube-downloads', /item 1 of 2/, 30_000)
    h.videos.openClip('c-two')
    await waitForText(page, '#youtube-downloads', /item 2 of 2/, 60_000)
    h.videos.openClip('c-one')
    await waitForText(page, '#youtube-downloads li:has-text("Phone Channel")', /Status: Completed/, 60_000)
    await waitForText(page, '#youtube-follows', /Phone Channel/)
    await waitForText(page, '#youtube-follows', /Channel/)
    await expectAccessible(page)

    await page.click('#youtube-follows a:has-text("Its videos")')
    await waitForText(page, 'h1', 'Phone Channel')
    await waitForText(page, '#youtube-items', /Second/)
    await expectAccessible(page)
    await page.click('#youtube-items li:has-text("First") button:has-text("Pin")')
    await waitForText(page, '#youtube-items li:has-text("First")', /Pinned/, 30_000)
    await waitForText(page, '#youtube-items li:has-text("First") button', /Unpin/)
    await expectAccessible(page)
    const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)
    expect(width).to.be.at.most(PHONE.width)
    expect(errors).to.deep.equal([])
    await context.close()
  })

  it('a channel as a source without JavaScript: “only new uploads” follows it and downloads nothing; what to keep is saved', async () => {
    const url = h.videos.setChannel('e2e-quiet', 'Quiet Phone Channel', ['q-one'])
    const { context, page } = await signedInPage(false)
    await visit(page, `${h.host.url}/youtube`)
    await page.fill('#youtube-form-url', url)
    await page.check('input[name=start][value=new]')
    await page.click('#youtube-form button[type=submit]:not([name])')
    await page.waitForURL(`${h.host.url}/youtube`)
    await waitForText(page, '#youtube-form [role=status]', 'Followed: new uploads come in as they appear.')
    await waitForText(page, '#youtube-follows', /Quiet Phone Channel/)
    expect(await page.locator('#youtube-downloads li:has-text("Quiet Phone Channel")').count()).to.equal(0)
    const follow = page.locator('#youtube-follows li:has-text("Quiet Phone Channel")')
    // (A count out of range is refused by the browser here, and by the server beside the field: retention.test.ts.)
    await follow.locator('select[name=keep]').selectOption('newest')
    await follow.locator('input[name=count]').fill('5')
    await follow.locator('button:has-text("Save"):has-text("keep")').click()
    await page.waitForURL(`${h.host.url}/youtube`)
    await waitForText(page, '#youtube-follows', /keeps the newest 5/)
    await page.click('#youtube-follows li:has-text("Quiet Phone Channel") a:has-text("Its videos")')
    await waitForText(page, 'main', /Nothing downloaded from it yet\./)
    await expectAccessible(page)
    await context.close()
  })
})
