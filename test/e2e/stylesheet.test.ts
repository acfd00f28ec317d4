// @backend-free: no database at all, only the stylesheet in Chromium.
// The stylesheet as served (minifyCss: comments and spare whitespace gone) means to
// Chromium exactly what the file in public/ says: the same rules, selectors and values,
// compared through the CSSOM the browser builds from each.
import fs from 'node:fs'
import { expect } from 'chai'
import type { Browser, Page } from 'playwright-core'
import { browserAvailable, launchBrowser } from '../support/browser.ts'
import { minifyCss } from '../../core/http/static-assets.ts'

const SOURCE = fs.readFileSync(new URL('../../public/medianest.css', import.meta.url), 'utf8')

async function rulesOf(page: Page, css: string): Promise<string[]> {
  await page.setContent('<!doctype html><title>css</title>')
  return page.evaluate((text) => {
    const doc = (globalThis as unknown as { document: { createElement(t: string): { textContent: string; sheet: { cssRules: ArrayLike<{ cssText: string }> } }; head: { appendChild(e: unknown): void } } }).document
    const style = doc.createElement('style')
    style.textContent = text
    doc.head.appendChild(style)
    return Array.from(style.sheet.cssRules).map((r) => r.cssText)
  }, css)
}

describe('in a real browser: the served stylesheet', function () {
  this.timeout(60_000)
  let browser: Browser

  before(async function () {
    if (!browserAvailable()) this.skip()
    browser = await launchBrowser()
  })
  after(async () => { await browser?.close() })

  it('has every rule of public/medianest.css, unchanged, and none of its comments', async () => {
    const page = await browser.newPage()
    const minified = minifyCss(SOURCE)
    const [original, served] = [await rulesOf(page, SOURCE), await rulesOf(page, minified)]
    expect(original.length).to.be.above(100)
    expect(served).to.deep.equal(original)
    expect(minified).not.to.include('/*')
    expect(minified.length).to.be.below(SOURCE.length * 0.8)
    await page.close()
  })
})
