import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import { StaticAssets } from '../../core/http/static-assets.ts'

describe('static assets: versioned URLs', () => {
  let dir: string
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-assets-')) })
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

  const write = (name: string, text: string, mtime: Date) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, text)
    fs.utimesSync(file, mtime, mtime)
    return file
  }

  it('puts the content hash before the extension, keeping multi-part extensions', () => {
    const assets = new StaticAssets([
      { url: '/public/site.css', file: write('site.css', 'body{}', new Date(1_000_000)) },
      { url: '/vendor/lib.min.js', file: write('lib.min.js', 'x()', new Date(1_000_000)) },
    ])
    expect(assets.url('/public/site.css')).to.match(/^\/public\/site\.[0-9a-f]{12}\.css$/)
    expect(assets.url('/vendor/lib.min.js')).to.match(/^\/vendor\/lib\.[0-9a-f]{12}\.min\.js$/)
  })

  it('refuses an asset that is not registered, naming it', () => {
    const assets = new StaticAssets([])
    expect(() => assets.url('/public/nope.css')).to.throw("No static asset is registered at '/public/nope.css'")
  })

  it('keeps the hash from start in production, and follows edits in development', () => {
    const file = write('site.css', 'body{}', new Date(1_000_000))
    const fixed = new StaticAssets([{ url: '/public/site.css', file }])
    const watching = new StaticAssets([{ url: '/public/site.css', file }], { reloadOnChange: true })
    const before = watching.url('/public/site.css')
    write('site.css', 'body{color:red}', new Date(2_000_000))
    expect(fixed.url('/public/site.css')).to.equal(before)
    expect(watching.url('/public/site.css')).not.to.equal(before)
  })
})
