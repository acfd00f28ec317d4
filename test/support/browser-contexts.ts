// Browser contexts that remember how they were made (JavaScript on or off, colour
// scheme, viewport), so a helper given only a page can act accordingly.
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core'

export type TestContextOptions = Pick<BrowserContextOptions, 'javaScriptEnabled' | 'colorScheme' | 'viewport'>

const made = new WeakMap<BrowserContext, TestContextOptions>()

export async function newTestContext(browser: Browser, options: TestContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options)
  made.set(context, options)
  return context
}

export function optionsOf(context: BrowserContext): TestContextOptions {
  return made.get(context) ?? {}
}
