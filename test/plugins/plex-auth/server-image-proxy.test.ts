// The poster proxy, /plex-auth/images/:ratingKey: an id in, an image out, for signed-in
// people only, fetched only from the configured server, the token never leaving it.
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../../support/test-host.ts'
import { FAKE_THUMB_PNG, startFakePms, type FakePms } from '../../support/fake-pms.ts'
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '../../support/fake-server.ts'
import { configurePlex } from './server-setup.ts'

const TOKEN = 'the-owners-plex-token'

describe('plex-auth: the poster proxy', function () {
  this.timeout(60_000)
  let host: TestHost
  let pms: FakePms
  let evil: FakeServer

  before(async () => {
    pms = await startFakePms()
    evil = await startFakeServer(() => ({ status: 200, headers: { 'Content-Type': 'image/png' }, body: FAKE_THUMB_PNG }))
    host = await startTestHost({ plugins: { 'plex-auth': { enabled: true } } })
  })
  after(async () => {
    await host?.stop()
    await pms?.close()
    await evil?.close()
  })
  afterEach(async () => pms.recover())

  const thumbRequests = () => pms.requests.filter((r) => r.path.includes('/thumb'))

  /** An item the widget has listed, as a signed-in person's page would. */
  async function listedItem(title = 'A film') {
    const section = pms.addSection({ type: 'movie', title: `Movies ${Math.random()}`, locations: ['/m'] })
    const item = pms.addItem(section.key, { file: `/m/${title}.mp4`, title, visible: true })
    await configurePlex(host, pms.url, pms.token)
    const { client } = await host.signedIn()
    const card = await client.get('/widgets/plex-auth/recently-added', { htmx: true })
    expect(card.text).to.include(`/plex-auth/images/${item.ratingKey}"`)
    return { item, client }
  }

  it('serves the poster as an image, privately cached, without the token', async () => {
    const { item, client } = await listedItem()
    const res = await fetch(`${host.url}/plex-auth/images/${item.ratingKey}`, { headers: { Cookie: client.cookieHeader() } })
    expect(res.status).to.equal(200)
    expect(res.headers.get('content-type')).to.equal('image/png')
    expect(res.headers.get('cache-control')).to.equal('private, max-age=300')
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff')
    expect(Buffer.from(await res.arrayBuffer()).equals(FAKE_THUMB_PNG)).to.equal(true)
    for (const [, value] of res.headers) expect(value).not.to.include(pms.token)
    const fetched = thumbRequests().at(-1)!
    expect(fetched.headers['x-plex-token']).to.equal(pms.token)
    expect(fetched.url).not.to.include(pms.token)
  })

  it('answers a second time from its cache', async () => {
    const { item, client } = await listedItem('Cached')
    const get = () => fetch(`${host.url}/plex-auth/images/${item.ratingKey}`, { headers: { Cookie: client.cookieHeader() } })
    expect((await get()).status).to.equal(200)
    const before = thumbRequests().length
    expect((await get()).status).to.equal(200)
    expect(thumbRequests().length).to.equal(before)
  })

  it('refuses people who are not signed in, before asking Plex anything', async () => {
    const { item } = await listedItem('Private')
    const before = pms.requests.length
    const asImage = await fetch(`${host.url}/plex-auth/images/${item.ratingKey}`, { headers: { Accept: 'image/*' }, redirect: 'manual' })
    expect(asImage.status).to.equal(401)
    const asPage = await host.client().get(`/plex-auth/images/${item.ratingKey}`)
    expect(asPage.status).to.equal(303)
    expect(asPage.location).to.match(/^\/login\?next=/)
    expect(pms.requests.length).to.equal(before)
  })

  it('takes only a numeric id: anything else, or an unknown id, is 404 and no URL is ever fetched', async () => {
    const { client } = await listedItem('Ids')
    const before = thumbRequests().length
    const tries = [
      'abc', '12a', '-1', '1.5', '%2e%2e%2fidentity', '..%2F..%2Fidentity',
      encodeURIComponent(`${evil.url}/x.png`), encodeURIComponent('/library/metadata/101/thumb/1'), '1'.repeat(20),
    ]
    for (const id of tries) {
      const res = await client.get(`/plex-auth/images/${id}`)
      expect(res.status, id).to.equal(404)
    }
    expect((await client.get('/plex-auth/images/999999')).status).to.equal(404)
    // A url in the query string is not read either.
    const { item } = await listedItem('Query')
    expect((await client.get(`/plex-auth/images/${item.ratingKey}?url=${encodeURIComponent(`${evil.url}/x.png`)}`)).status).to.equal(200)
    expect(evil.requests).to.have.length(0)
    expect(thumbRequests().length).to.equal(before + 1)
    expect(pms.requests.some((r) => r.path === '/identity' && r.query.url)).to.equal(false)
  })

  it('answers 502 without details when Plex is down', async () => {
    const { item, client } = await listedItem('Down')
    await pms.down()
    const res = await client.get(`/plex-auth/images/${item.ratingKey}`)
    expect(res.status).to.equal(502)
    expect(res.headers.get('cache-control')).to.equal('no-store')
    expect(res.text).to.equal('The poster could not be loaded from Plex.')
  })

  it('answers 404 while Plex is not set up', async () => {
    const { item, client } = await listedItem('Unset')
    await host.db('service_configs').where({ service_name: 'plex' }).del()
    expect((await client.get(`/plex-auth/images/${item.ratingKey}`)).status).to.equal(404)
  })

  describe('against a server that misbehaves', () => {
    let odd: FakeServer
    const BIG = Buffer.alloc(3 * 1024 * 1024, 1)
    const metadata = (rk: string, thumb: string): FakeResponse => ({
      status: 200, headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ MediaContainer: { size: 1, Metadata: [{ ratingKey: rk, title: `Item ${rk}`, type: 'movie', thumb }] } }),
    })

    before(async () => {
      odd = await startFakeServer((req: RecordedRequest): FakeResponse => {
        if (req.headers['x-plex-token'] !== TOKEN) return { status: 401, body: 'no' }
        const m = /^\/library\/metadata\/(\d+)$/.exec(req.path)
        if (m) {
          const rk = m[1]
          if (rk === '204') return metadata(rk, `${evil.url}/x.png`)
          if (rk === '208') return metadata(rk, '/library/metadata/208/thumb/1?url=http://elsewhere/')
          if (rk === '209') return { status: 404, body: 'Not Found' }
          return metadata(rk, `/library/metadata/${rk}/thumb/1`)
        }
        const t = /^\/library\/metadata\/(\d+)\/thumb\/1$/.exec(req.path)
        if (!t) return { status: 404, body: 'Not Found' }
        switch (t[1]) {
          case '201': return { status: 200, headers: { 'Content-Type': 'image/jpeg' }, body: BIG }
          case '202': return { status: 200, headers: { 'Content-Type': 'text/html' }, body: '<script>alert(1)</script>' }
          case '203': return { status: 200, headers: { 'Content-Type': 'image/svg+xml' }, body: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' }
          case '205': return { status: 302, headers: { Location: `${evil.url}/x.png` } }
          default: return { status: 200, headers: { 'Content-Type': 'image/png; charset=binary' }, body: FAKE_THUMB_PNG }
        }
      })
      await configurePlex(host, odd.url, TOKEN)
    })
    after(async () => odd?.close())

    const poster = async (rk: string) => {
      await configurePlex(host, odd.url, TOKEN)
      const { client } = await host.signedIn()
      return client.get(`/plex-auth/images/${rk}`)
    }

    it('looks an item it has not listed up on the server, and relays its poster', async () => {
      const res = await poster('200')
      expect(res.status).to.equal(200)
      expect(res.headers.get('content-type')).to.equal('image/png')
    })

    it('refuses an image larger than 2 MB', async () => {
      const res = await poster('201')
      expect(res.status).to.equal(502)
      expect(res.text).to.equal('The poster could not be loaded from Plex.')
    })

    it('relays only images: not HTML, not SVG', async () => {
      expect((await poster('202')).status).to.equal(502)
      const svg = await poster('203')
      expect(svg.status).to.equal(502)
      expect(svg.text).not.to.include('<svg')
    })

    it('never fetches a poster "path" that is a URL or carries a query, nor follows a redirect', async () => {
      expect((await poster('204')).status).to.equal(404)
      expect((await poster('208')).status).to.equal(404)
      expect((await poster('205')).status).to.equal(502)
      expect((await poster('209')).status).to.equal(404)
      expect(evil.requests).to.have.length(0)
      expect(odd.requests.every((r) => !r.url.includes(TOKEN))).to.equal(true)
    })
  })
})
