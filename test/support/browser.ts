// Debian's Chromium driven by playwright-core, for end-to-end tests. Under CI a
// missing browser fails the run; elsewhere the tests say why they were skipped.
import fs from 'node:fs'
import { chromium, type Browser, type Page, type Response } from 'playwright-core'
import { expectAccessible } from './axe.ts'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export function browserAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true
  if (process.env.CI === 'true') throw new Error(`Chromium is required in CI and is not at ${CHROMIUM} (apt-get install chromium)`)
  return false
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // As root in a closed network: no sandbox, and none of Chromium's phoning home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
}

export { newTestContext, optionsOf, shareSession, type TestContextOptions } from './browser-contexts.ts'

/** Opens a URL and fails on any serious or critical accessibility violation: the way tests open pages. */
export async function visit(page: Page, url: string): Promise<Response | null> {
  const response = await page.goto(url)
  await expectAccessible(page)
  return response
}

/**
 * Signs a page in through the sign-in form, as a person does: opens `to` (which sends a
 * signed-out visitor to the form), fills it in, and waits until `to` is back.
 */
export async function signInThroughForm(page: Page, baseUrl: string, user: { email: string; password: string }, to: string): Promise<void> {
  await visit(page, `${baseUrl}${to}`)
  await page.fill('input[name=email]', user.email)
  await page.fill('input[name=password]', user.password)
  await page.click('#main button[type=submit]')
  await page.waitForURL(`${baseUrl}${to}`)
}
