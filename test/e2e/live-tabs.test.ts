// @backend-specific: what the pages show arrives over the live stream, which on PostgreSQL goes through LISTEN/NOTIFY and on PGlite stays in-process.
// Issue 28 (4) in a real browser: the tabs of one browser share one live stream. Chromium
// opens at most six HTTP/1.1 connections to a host, so with a stream per tab the seventh
// tab never loaded. Ten tabs of one person load, one /events stream is open, and a
// notification reaches all ten; closing the tab that holds the stream hands it to
// another, which replays what was published in between.
import { expect } from 'chai'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { browserAvailable, launchBrowser, newTestContext, shareSession } from '../support/browser.ts'
import { waitForText } from '../support/page-waits.ts'
import { waitFor, type TestHost } from 'medianest/testing'
import { emit, notificationsHost } from '../plugins/notifications/harness.ts'

const TABS = 10

describe('in a real browser: one live stream for all the tabs of a browser', function () {
  this.timeout(180_000)
  let host: TestHost
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    host = await notificationsHost()
    browser = await launchBrowser()
  })
  // Closed even when a test fails, so the next one counts only its own streams.
  const contexts: BrowserContext[] = []
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close()
  })
  after(async () => {
    await browser?.close()
    await host?.stop()
  })

  /** A signed-in context whose /events requests are counted. */
  async function signedInContext(): Promise<{ context: BrowserContext; streams: Page[]; errors: string[]; emitAs: (title: string) => Promise<void> }> {
    // Each test counts the streams of its own browser only.
    await waitFor('the last test\'s streams to close', () => host.app.core.live.connections() === 0)
    const { client, user } = await host.signedIn()
    const context = await newTestContext(browser)
    contexts.push(context)
    await shareSession(context, client, host.url)
    const streams: Page[] = []
    const errors: string[] = []
    context.on('request', (request) => {
      if (new URL(request.url()).pathname === '/events') streams.push(request.frame().page())
    })
    context.on('page', (page) => page.on('pageerror', (error) => errors.push(String(error))))
    const emitAs = (title: string) => emit(client, 'request.approved', { userId: user.id, title, id: title.length })
    return { context, streams, errors, emitAs }
  }

  /** Opens a tab; a tab that cannot get a connection would hang here until the timeout. */
  async function openTab(context: BrowserContext, path: string): Promise<Page> {
    const page = await context.newPage()
    await page.goto(`${host.url}${path}`, { timeout: 15_000 })
    await page.locator('#notifications-bell-count').waitFor({ timeout: 15_000 })
    return page
  }

  it(`${TABS} tabs load, share one stream, and a notification reaches every one; the next tab takes over when the leading one closes`, async () => {
    const { context, streams, errors, emitAs } = await signedInContext()
    const pages: Page[] = []
    const paths = ['/', '/notifications', '/account', '/notifications/preferences']
    for (let i = 0; i < TABS; i++) pages.push(await openTab(context, paths[i % paths.length]))
    await waitFor('the leading tab\'s stream to open', () => host.app.core.live.connections() === 1)
    expect(streams).to.have.length(1)
    expect(streams[0]).to.equal(pages[0])

    await emitAs('Arrival')
    for (const page of pages) await waitForText(page, '#notifications-bell-count', '1', 20_000)

    // The leader goes, and a notification is published before any other tab has taken
    // over: the next stream replays it from the last id the tabs were relayed.
    await pages.shift()!.close()
    await emitAs('Second arrival')
    for (const page of pages) await waitForText(page, '#notifications-bell-count', '2', 20_000)
    expect(streams).to.have.length(2)
    expect(pages).to.include(streams[1])
    await waitFor('one stream again', () => host.app.core.live.connections() === 1)

    // A tab opened now gets its page, then what comes next, from the same stream.
    const late = await openTab(context, '/notifications')
    await emitAs('Third one')
    for (const page of [...pages, late]) await waitForText(page, '#notifications-bell-count', '3', 20_000)
    expect(streams).to.have.length(2)
    expect(errors).to.deep.equal([])
  })

  /** A tab whose page is on screen but whose live-tabs script waits for `release()`. */
  async function heldTab(context: BrowserContext, path: string): Promise<{ page: Page; release: () => void }> {
    const page = await context.newPage()
    let release!: () => void
    const released = new Promise<void>((resolve) => { release = resolve })
    await page.route('**/public/live-tabs*.js', async (route) => { await released; await route.continue() })
    await page.goto(`${host.url}${path}`, { waitUntil: 'commit' })
    await page.locator('#notifications-bell-count').waitFor()
    return { page, release }
  }

  it('a tab that loads while events arrive gets them: from the leading tab\'s memory, or from a replay when its page is older', async () => {
    const { context, errors, emitAs } = await signedInContext()
    // Rendered before the first notification; its script starts after the leader's stream has moved on.
    const early = await heldTab(context, '/notifications')
    await emitAs('Before the leader')
    const leader = await openTab(context, '/')
    await waitForText(leader, '#notifications-bell-count', '1', 20_000)
    early.release()
    await waitForText(early.page, '#notifications-bell-count', '1', 20_000)

    // Rendered, then a notification arrives over the stream before its script says hello.
    const late = await heldTab(context, '/account')
    await emitAs('While it loads')
    for (const page of [leader, early.page]) await waitForText(page, '#notifications-bell-count', '2', 20_000)
    late.release()
    await waitForText(late.page, '#notifications-bell-count', '2', 20_000)
    await waitFor('one stream', () => host.app.core.live.connections() === 1)
    expect(errors).to.deep.equal([])
  })

  /** Plays the page being hidden or shown (a headless page is always visible). */
  async function setHidden(page: Page, hidden: boolean): Promise<void> {
    // A string, not a function: the build's name-keeping helpers do not exist in the page.
    await page.evaluate(`(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} })
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${hidden ? 'hidden' : 'visible'}' })
      document.dispatchEvent(new Event('visibilitychange'))
    })()`)
  }

  it('a hidden leading tab keeps the stream while another tab is on screen, and gives it up when none is', async () => {
    const { context, streams, errors, emitAs } = await signedInContext()
    const [leader, other] = [await openTab(context, '/'), await openTab(context, '/notifications')]
    await waitFor('the leading tab\'s stream', () => host.app.core.live.connections() === 1)

    // Another tab is on screen: the hidden leader goes on relaying.
    await setHidden(leader, true)
    await leader.locator('#live-stream[data-state=leading-for-others]').waitFor({ state: 'attached' })
    await emitAs('While hidden')
    await waitForText(other, '#notifications-bell-count', '1', 20_000)

    // The other tab goes too, so nothing is on screen: the stream closes, and what is
    // published meanwhile arrives when a tab is shown again.
    await setHidden(other, true)
    await leader.locator('#live-stream[data-state=paused]').waitFor({ state: 'attached' })
    await waitFor('the stream to close', () => host.app.core.live.connections() === 0)
    await emitAs('Nobody looking')
    await setHidden(other, false)
    for (const page of [leader, other]) await waitForText(page, '#notifications-bell-count', '2', 20_000)
    expect(host.app.core.live.connections()).to.equal(1)
    expect(streams).to.have.length(2)
    expect(streams[1]).to.equal(leader)
    expect(errors).to.deep.equal([])
  })

  it('a browser without Web Locks keeps a stream per tab, and each gets its notifications', async () => {
    const { context, streams, errors, emitAs } = await signedInContext()
    // Added by Playwright outside the page's CSP, before any of the page's own scripts.
    await context.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined })" })
    const pages = [await openTab(context, '/'), await openTab(context, '/notifications')]
    await waitFor('a stream per tab', () => host.app.core.live.connections() === 2)
    await emitAs('Old browser')
    for (const page of pages) await waitForText(page, '#notifications-bell-count', '1', 20_000)
    expect(streams).to.have.length(2)
    expect(errors).to.deep.equal([])
  })
})
