// Accessibility checks with axe-core on any page a browser test opens.
//
// How axe gets in: our CSP (`script-src 'self'`) refuses inline scripts, so
// page.addScriptTag({ path }) (an inline <script>) is blocked, and bypassCSP would
// hide the very CSP errors the browser tests exist to catch. page.evaluate() goes
// through the DevTools protocol, which the page's CSP does not govern, so the library
// is evaluated that way, once per page.
//
// Pages opened with JavaScript off: evaluate still works there, but timers never fire
// and axe.run waits on them forever. So the page's HTML as that browser parsed it is
// checked in a scripted twin with the same colour scheme and viewport: the page's
// <script> elements removed (the page stays script-free) and its <noscript> content
// shown (as the no-JS browser shows it), with the real stylesheet from the server.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import type { BrowserContext, Page } from 'playwright-core'
import type { AxeResults, Result } from 'axe-core'
import { newTestContext, optionsOf } from './browser-contexts.ts'

const require = createRequire(import.meta.url)
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

const FAILING_IMPACTS = new Set(['serious', 'critical'])

async function runAxe(page: Page): Promise<Result[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object')
  if (!loaded) await page.evaluate(AXE_SOURCE)
  const results = await page.evaluate(() => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<AxeResults> } }).axe
    return axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] })
  })
  return results.violations.filter((v) => FAILING_IMPACTS.has(v.impact ?? ''))
}

interface Twin { page: Page; serve: { url: string; html: string } }
// One scripted twin per no-JS context, reused for each page it checks: a new browser
// context per check cost about a second each, on every page of every no-JS journey.
const twins = new WeakMap<BrowserContext, Promise<Twin>>()

function twinOf(context: BrowserContext): Promise<Twin> {
  let twin = twins.get(context)
  if (!twin) {
    twin = (async () => {
      const browser = context.browser()
      if (!browser) throw new Error('expectAccessible needs a page from a launched browser')
      const made = await newTestContext(browser, { ...optionsOf(context), javaScriptEnabled: true })
      context.once('close', () => { made.close().catch(() => undefined) })
      const serve = { url: '', html: '' }
      // The page under check is the markup captured from the no-JS page; everything it
      // loads (the stylesheet, images) comes from the server as usual.
      await made.route('**/*', (route) => route.request().isNavigationRequest() && route.request().url() === serve.url
        ? route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: serve.html })
        : route.continue())
      return { page: await made.newPage(), serve }
    })()
    twins.set(context, twin)
  }
  return twin
}

function prefersDark(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { matchMedia(q: string): { matches: boolean } }).matchMedia('(prefers-color-scheme: dark)').matches)
}

async function runAxeWithoutScript(page: Page, content: string): Promise<Result[]> {
  const html = content
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '')
    .replace(/<\/?noscript>/gi, '')
  const twin = await twinOf(page.context())
  // The twin looks as the page does now: a test may have resized it or switched its
  // colour scheme since the context was made (the crawl checks one load in four looks).
  const [viewport, dark] = [page.viewportSize(), await prefersDark(page)]
  if (viewport) await twin.page.setViewportSize(viewport)
  await twin.page.emulateMedia({ colorScheme: dark ? 'dark' : 'light' })
  // Without its fragment: a goto that differs only there would not load the new markup.
  const url = page.url().replace(/#.*$/, '')
  // The same markup already open in the twin (the same page in another look): no reload.
  if (twin.serve.url !== url || twin.serve.html !== html) {
    twin.serve.url = url
    twin.serve.html = html
    await twin.page.goto(url)
  }
  return runAxe(twin.page)
}

// Markup already found clean in a context (same viewport, colours, JavaScript) is clean
// again: a journey passes the same refusal page or the same form many times over. Ids,
// tokens and times differ between two renders of one page, so they are left out of the
// comparison; they are text and attribute values, which no axe rule judges by content.
const cleanMarkup = new WeakMap<BrowserContext, Set<string>>()
const comparable = (html: string) => html
  .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, 'UUID')
  .replace(/[A-Za-z0-9_-]{20,}/g, 'TOKEN')
  .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?/g, 'TIME')

/** Serious and critical axe violations on the page as it is now. */
export async function axeViolations(page: Page): Promise<Result[]> {
  const content = await page.content()
  // The same markup at another width or in the other colour scheme is another check.
  const key = `${page.viewportSize()?.width} ${await prefersDark(page)} ${comparable(content)}`
  let clean = cleanMarkup.get(page.context())
  if (!clean) cleanMarkup.set(page.context(), (clean = new Set()))
  if (clean.has(key)) return []
  const violations = optionsOf(page.context()).javaScriptEnabled === false ? await runAxeWithoutScript(page, content) : await runAxe(page)
  if (violations.length === 0) clean.add(key)
  return violations
}

/** Fails with a readable list (rule, impact, the offending elements) on any serious or critical violation. */
export async function expectAccessible(page: Page, label?: string): Promise<void> {
  const violations = await axeViolations(page)
  if (violations.length === 0) return
  const options = optionsOf(page.context())
  const look = `${await prefersDark(page) ? 'dark' : 'light'}, ${page.viewportSize()?.width ?? '?'} px`
  const where = label ?? `${new URL(page.url()).pathname} (${look}, JavaScript ${options.javaScriptEnabled === false ? 'off' : 'on'})`
  const lines = violations.map((v) => {
    const nodes = v.nodes.slice(0, 5).map((n) => `      ${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ').trim() ?? ''}`)
    const more = v.nodes.length > 5 ? [`      … and ${v.nodes.length - 5} more`] : []
    return [`  ${v.id} (${v.impact}, ${v.nodes.length} elements): ${v.help}`, ...nodes, ...more].join('\n')
  })
  throw new Error(`accessibility violations on ${where}:\n${lines.join('\n')}`)
}
