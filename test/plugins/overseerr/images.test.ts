// Images through MediaNest (issue 30, part 5): posters and backdrops come from our own
// origin, fetched once from the configured image host and kept on disk with a size cap
// (least recently used evicted); a failure shows our placeholder; nothing from a request
// names a file outside the cache; and no page points a browser at a third-party host.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'chai'
import { startFakeImageHost, type FakeImageHost } from '../../support/fake-image-host.ts'
import { addMovie, startHarness, type Harness } from './harness.ts'
import { ImageCache, imageKey } from '../../../plugins/overseerr/image-cache.ts'
import type { TestClient } from '../../support/http-client.ts'

const JPEG_START = Buffer.from([0xff, 0xd8, 0xff])

describe('overseerr: images through MediaNest', function () {
  this.timeout(60_000)
  let h: Harness
  let images: FakeImageHost
  let client: TestClient
  before(async () => {
    images = await startFakeImageHost()
    h = await startHarness({ images: { host: images.url, maxImageKB: 100 } })
    client = (await h.host.signedIn()).client
  })
  after(async () => {
    await h?.stop()
    await images?.close()
  })

  const fetchImage = (url: string, c: TestClient | null = client) =>
    fetch(h.host.url + url, { headers: c ? { Cookie: c.cookieHeader() } : {}, redirect: 'manual' })
  const asked = (p: string) => images.requests.filter((r) => r.path === p).length
  const cacheDir = () => path.join(h.host.config.dataDir, 'plugins', 'overseerr', 'images')

  it('serves a poster from our origin, fetched once, kept on disk, with immutable headers', async () => {
    images.addImage('/t/p/w300/poster-one.jpg')
    const first = await fetchImage('/overseerr/images/w300/poster-one.jpg')
    expect(first.status).to.equal(200)
    expect(first.headers.get('content-type')).to.equal('image/jpeg')
    expect(first.headers.get('cache-control')).to.equal('private, max-age=31536000, immutable')
    expect(first.headers.get('x-content-type-options')).to.equal('nosniff')
    const bytes = Buffer.from(await first.arrayBuffer())
    expect(bytes.subarray(0, 3).equals(JPEG_START)).to.equal(true)
    // Ten more, five at once: still one fetch upstream.
    await Promise.all(Array.from({ length: 10 }, async () => {
      const again = await fetchImage('/overseerr/images/w300/poster-one.jpg')
      expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).to.equal(true)
    }))
    expect(asked('/t/p/w300/poster-one.jpg')).to.equal(1)
    expect(fs.existsSync(path.join(cacheDir(), 'w300', 'poster-one.jpg'))).to.equal(true)
  })

  it('asks the host once for a poster many pages want at the same moment', async () => {
    images.addImage('/t/p/w1280/backdrop-many.jpg')
    const answers = await Promise.all(Array.from({ length: 8 }, () => fetchImage('/overseerr/images/w1280/backdrop-many.jpg')))
    expect(answers.map((a) => a.status)).to.deep.equal(Array(8).fill(200))
    expect(asked('/t/p/w1280/backdrop-many.jpg')).to.equal(1)
  })

  it('answers the placeholder for a host 404, a huge image, a wrong type and a host that hangs, and stores none of them', async () => {
    images.huge('/t/p/w300/huge.jpg', 5 * 1024 * 1024)
    images.wrongType('/t/p/w300/html.jpg', 'text/html')
    images.wrongType('/t/p/w300/svg.jpg', 'image/svg+xml')
    images.slow('/t/p/w300/hangs.jpg')
    const expected: Record<string, number> = { 'missing.jpg': 404, 'huge.jpg': 502, 'html.jpg': 502, 'svg.jpg': 502, 'hangs.jpg': 502 }
    for (const [file, status] of Object.entries(expected)) {
      const res = await fetchImage(`/overseerr/images/w300/${file}`)
      expect(res.status, file).to.equal(status)
      expect(res.headers.get('content-type'), file).to.equal('image/svg+xml')
      expect(res.headers.get('cache-control'), file).to.equal('no-store')
      expect(await res.text(), file).to.include('<svg').and.not.include('<script')
      expect(fs.existsSync(path.join(cacheDir(), 'w300', file)), file).to.equal(false)
    }
    // A failure is remembered for a minute: the next page view does not ask again.
    await fetchImage('/overseerr/images/w300/missing.jpg')
    expect(asked('/t/p/w300/missing.jpg')).to.equal(1)
    const errors = await h.host.db('error_logs').count({ n: '*' }).first()
    expect(Number(errors?.n)).to.equal(0)
  })

  it('refuses traversal, encoded slashes, NUL, unknown sizes and odd names without asking the host or reading outside the cache', async () => {
    const secret = path.join(h.host.config.dataDir, 'plugins', 'overseerr', 'secret.jpg')
    fs.writeFileSync(secret, 'not for browsers')
    const before = images.requests.length
    for (const bad of ['/overseerr/images/w300/..%2Fsecret.jpg', '/overseerr/images/w300/%2E%2E%2Fsecret.jpg', '/overseerr/images/..%2F..%2Fsecret.key/x.jpg',
      '/overseerr/images/w300/a%00.jpg', '/overseerr/images/original/poster-one.jpg', '/overseerr/images/w300/poster.svg', '/overseerr/images/w300/.hidden.jpg',
      '/overseerr/images/w300/' + 'a'.repeat(200) + '.jpg', '/overseerr/images/w300/a%5Cb.jpg']) {
      const res = await fetchImage(bad)
      expect(res.status, bad).to.be.oneOf([400, 404])
      expect(await res.text(), bad).not.to.include('not for browsers')
    }
    expect(images.requests.length).to.equal(before)
    expect(imageKey('w300', '../secret.jpg')).to.equal(null)
    expect(imageKey('w300/..', 'x.jpg')).to.equal(null)
  })

  it('is for signed-in people only, so nobody else can fill the disk', async () => {
    const res = await fetchImage('/overseerr/images/w300/poster-one.jpg', null)
    expect(res.status).to.be.oneOf([302, 303, 401])
  })

  it('no page points a browser at a third-party host, and the CSP allows images from our origin only', async () => {
    addMovie(h.fake, 'Poster Search Film')
    const page = await client.get('/overseerr?q=Poster%20Search')
    expect(page.text).to.include('/overseerr/images/w300/').and.not.match(/https?:\/\/(?!127\.0\.0\.1)[^"' ]*\.(jpg|png|webp)/)
    expect(page.text).not.to.include('image.tmdb.org')
    const csp = page.headers.get('content-security-policy')!
    expect(csp).to.match(/img-src 'self'(;|$)/)
    // The one page showing an address a person typed: their own avatar on /account.
    expect((await client.get('/account')).headers.get('content-security-policy')).to.include("img-src 'self' https:")
  })
})

describe('overseerr: the image cache on disk', () => {
  const quiet = { info() {}, warn() {} } as never
  let dir: string
  let now: number
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-images-')); now = Date.parse('2026-12-01T00:00:00Z') })
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))
  const image = (n: number) => ({ bytes: Buffer.alloc(40_000, n), contentType: 'image/jpeg' })

  it('evicts the least recently used files past its cap, keeping what was used lately', async () => {
    const cache = new ImageCache(dir, 200_000, quiet, () => new Date(now))
    for (let i = 0; i < 4; i++) { now += 60_000; await cache.put(`w300/f${i}.jpg`, image(i)) }
    // f0 is used again (a fresh process reads it from disk, which touches it).
    now += 2 * 60 * 60_000
    const fresh = new ImageCache(dir, 200_000, quiet, () => new Date(now))
    expect((await fresh.get('w300/f0.jpg'))?.bytes.equals(image(0).bytes)).to.equal(true)
    await new Promise((r) => setTimeout(r, 50))
    now += 60_000
    await fresh.put('w300/f4.jpg', image(4))
    await fresh.put('w300/f5.jpg', image(5))
    const left = fs.readdirSync(path.join(dir, 'w300')).sort()
    expect(left).to.include('f0.jpg').and.include('f5.jpg').and.not.include('f1.jpg')
    const total = left.reduce((sum, f) => sum + fs.statSync(path.join(dir, 'w300', f)).size, 0)
    expect(total).to.be.at.most(200_000)
  })

  it('sweeps a temporary file left by a crash mid-write, and reads a damaged file as a miss', async () => {
    const cache = new ImageCache(dir, 100_000, quiet, () => new Date(now))
    fs.mkdirSync(path.join(dir, 'w300'), { recursive: true })
    fs.writeFileSync(path.join(dir, 'w300', 'x.jpg.abc.tmp'), Buffer.alloc(10))
    fs.writeFileSync(path.join(dir, 'w300', 'bad.jpg'), Buffer.alloc(100, 0x41))
    expect(await cache.get('w300/bad.jpg')).to.equal(null)
    expect(await cache.get('w300/none.jpg')).to.equal(null)
    await cache.put('w300/a.jpg', image(1))
    await cache.evict()
    expect(fs.readdirSync(path.join(dir, 'w300'))).not.to.include('x.jpg.abc.tmp')
    const refused = await cache.get('../x.jpg').then(() => null, (error: Error) => error.message)
    expect(refused).to.include('not an image key')
  })
})
