// Browser contexts that remember how they were made (JavaScript on or off, colour
// scheme, viewport), so a helper given only a page can act accordingly.
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core'
import { sessionCookieName } from '../../core/auth/cookies.ts'
import type { TestClient } from './http-client.ts'

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

/** Gives the browser context the session of a signed-in test client (plain http on loopback). */
export async function shareSession(context: BrowserContext, client: TestClient, url: string): Promise<void> {
  const name = sessionCookieName({ secure: false })
  await context.addCookies([{ name, value: client.cookie(name)!, url }])
}
