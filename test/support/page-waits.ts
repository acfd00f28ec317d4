// Waiting in a browser test without eval. A string given to page.waitForFunction is
// compiled inside the page, and our CSP (no 'unsafe-eval') refuses it the moment the
// first check fails: a test that passes when the page is quick and fails when it is
// slow. Locators poll from Playwright's own isolated world, which the CSP does not
// govern: wait with these.
import type { Page } from 'playwright-core'

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Waits until the element matching `selector` reads exactly `text` (surrounding whitespace ignored). */
export async function waitForText(page: Page, selector: string, text: string | RegExp, timeout = 10_000): Promise<void> {
  const hasText = typeof text === 'string' ? new RegExp(`^\\s*${escape(text)}\\s*$`) : text
  await page.locator(selector).filter({ hasText }).first().waitFor({ state: 'visible', timeout })
}

/** Waits until an element matching `selector` is on the page and visible. */
export async function waitForVisible(page: Page, selector: string, timeout = 10_000): Promise<void> {
  await page.locator(selector).first().waitFor({ state: 'visible', timeout })
}
