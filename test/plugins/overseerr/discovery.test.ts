// Discovery (issue 30, part 3): /overseerr opens on five rows from Overseerr's /discover
// lists (people left out), each kept a few minutes, so ten page loads cost Overseerr one
// call per row; a row that fails says so in words and the others still show; each row
// has its own pages, which work without JavaScript; a slow row does not hold the page.
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import { addMovie, addShow, startHarness, type Harness } from './harness.ts'

const ROW_PATHS = ['/api/v1/discover/trending', '/api/v1/discover/movies', '/api/v1/discover/tv', '/api/v1/discover/movies/upcoming', '/api/v1/discover/tv/upcoming']

describe('overseerr: discovery rows', function () {
  this.timeout(60_000)
  let h: Harness
  before(async () => {
    h = await startHarness()
    for (let i = 0; i < 25; i++) addMovie(h.fake, `Discover Film ${i}`, { year: 2030 })
    addShow(h.fake, 'Discover Show')
  })
  after(async () => { await h?.stop() })

  const calls = (path: string) => h.fake.requests.filter((r) => r.path === path).length

  it('opens on five rows of titles, leaves people out, and costs Overseerr one call per row for ten visits', async () => {
    const before = ROW_PATHS.map(calls)
    const { client } = await h.host.signedIn()
    for (let i = 0; i < 10; i++) {
      const page = await client.get('/overseerr')
      expect(page.status).to.equal(200)
      for (const title of ['Trending', 'Popular movies', 'Popular shows', 'Upcoming movies', 'Upcoming shows']) expect(page.text).to.include(`>${title}</h3>`)
      expect(page.text).to.include('Discover Film 0').and.include('Discover Show').and.not.include('Tom Hanks')
      expect(page.text).to.include('href="/overseerr/discover/popular-movies"')
    }
    expect(ROW_PATHS.map(calls).map((n, i) => n - before[i])).to.deep.equal([1, 1, 1, 1, 1])
    // Overseerr refuses unknown parameters: what we send is what its API takes.
    const sent = h.fake.requests.find((r) => r.path === '/api/v1/discover/movies')!
    expect(sent.query).to.deep.equal({ page: '1', language: 'en', sortBy: 'popularity.desc' })
  })

  it('a request shows on its card at once, and the rows carry nothing of the viewer (the same HTML for everyone)', async () => {
    const bob = await h.host.signedIn()
    const carol = await h.host.signedIn()
    const row = (html: string) => html.slice(html.indexOf('id="overseerr-discovery-popular-movies"'))
    const card = (html: string) => row(html).slice(row(html).indexOf('<li class="poster">'), row(html).indexOf('</li>'))
    const before = await bob.client.get('/overseerr')
    expect(card(before.text)).to.include('Discover Film 0').and.not.include('badge')
    // No form, no token in a row: the cards link to the title pages.
    const rows = before.text.slice(before.text.indexOf('class="discovery-row"'))
    expect(rows).not.to.include('_csrf').and.not.include('<form')
    const tmdbId = Number(/href="\/overseerr\/movie\/(\d+)"/.exec(card(before.text))![1])
    await bob.client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    const after = await carol.client.get('/overseerr')
    expect(card(after.text)).to.include('Waiting for approval')
    const strip = (html: string) => html.slice(html.indexOf('class="discovery-row"'), html.lastIndexOf('</section>'))
    expect(strip((await bob.client.get('/overseerr')).text)).to.equal(strip(after.text))
  })

  it('an admin switching Overseerr off is seen by the discovery page at once (core.service.updated)', async () => {
    const h4 = await startHarness()
    try {
      addMovie(h4.fake, 'Soon Gone', { year: 2030 })
      const { client } = await h4.host.signedIn()
      expect((await client.get('/overseerr')).text).to.include('Soon Gone')
      const row = await h4.host.db('service_configs').where({ service_name: 'overseerr' }).first()
      await h4.admin.client.get(`/admin/services/${row.id}`)
      const saved = await h4.admin.client.post(`/admin/services/${row.id}`, { service_name: 'overseerr', service_name_other: '', service_url: h4.fake.url, api_key: '', config_data: '{}' })
      expect(saved.status).to.equal(303)
      expect((await h4.host.db('service_configs').where({ id: row.id }).first()).enabled).to.equal(false)
      await waitFor('the page to see it', async () => (await client.get('/overseerr')).text.includes('Overseerr is not connected yet'))
    } finally {
      await h4.stop()
    }
  })

  it('a row Overseerr fails says so in words, the other rows still show, and the next visit asks again', async () => {
    const h2 = await startHarness({ discoveryCacheSeconds: 300 })
    try {
      addMovie(h2.fake, 'Still Here', { year: 2030 })
      h2.fake.failPath('/api/v1/discover/tv/upcoming', 500)
      const { client } = await h2.host.signedIn()
      const page = await client.get('/overseerr')
      expect(page.status).to.equal(200)
      expect(page.text).to.include('Overseerr did not send “Upcoming shows” just now').and.include('Still Here')
      expect(page.text).not.to.include('HTTP 500')
      expect((await h2.admin.client.get('/overseerr')).text).to.include('HTTP 500')
      h2.fake.failPath('/api/v1/discover/tv/upcoming', null)
      const again = await client.get('/overseerr')
      expect(again.text).not.to.include('did not send “Upcoming shows”')
    } finally {
      await h2.stop()
    }
  })

  it('a row Overseerr is slow with does not hold the page: it shows as on its way, then loads on its own', async () => {
    // Long enough for the rows that answer, on a loaded machine; the hung one never does.
    const h3 = await startHarness({ discoveryWaitMs: 3000 })
    try {
      addMovie(h3.fake, 'Quick Film', { year: 2030 })
      h3.fake.hangPath('/api/v1/discover/trending', true)
      const { client } = await h3.host.signedIn()
      const page = await client.get('/overseerr')
      expect(page.status).to.equal(200)
      expect(page.text).to.include('Overseerr is taking its time with this list').and.include('hx-get="/overseerr/discover/trending?as=row"')
      expect(page.text).to.include('Quick Film')
      // Not an error: nothing in the error log, and the other rows came whole.
      expect(page.text).not.to.include('did not send')
      h3.fake.hangPath('/api/v1/discover/trending', false)
      const row = await client.get('/overseerr/discover/trending?as=row', { htmx: true })
      expect(row.status).to.equal(200)
      expect(row.text).to.match(/^\s*<section class="discovery-row" id="overseerr-discovery-trending"/).and.include('Quick Film').and.not.include('hx-get')
      // Without htmx, ?as=row is the row's own page.
      expect((await client.get('/overseerr/discover/trending?as=row')).text).to.include('<html').and.include('Page 1 of')
      expect((await client.get('/overseerr/discover/trending?as=grid')).status).to.equal(422)
    } finally {
      await h3.stop()
    }
  })

  it('each row has its own pages, and refuses an unknown row (404) and a bad page (422)', async () => {
    const { client } = await h.host.signedIn()
    const first = await client.get('/overseerr/discover/popular-movies')
    expect(first.status).to.equal(200)
    expect(first.text).to.include('Page 1 of 2').and.include('href="/overseerr/discover/popular-movies?page=2"')
    const second = await client.get('/overseerr/discover/popular-movies?page=2')
    expect(second.text).to.include('Page 2 of 2').and.include('rel="prev"')
    // One title in two rows keeps unique ids.
    const home = await client.get('/overseerr')
    const ids = [...home.text.matchAll(/ id="([^"]+)"/g)].map((m) => m[1])
    expect(ids.length).to.equal(new Set(ids).size)
    expect((await client.get('/overseerr/discover/..%2F..%2Fetc')).status).to.equal(404)
    expect((await client.get('/overseerr/discover/nonsense')).status).to.equal(404)
    for (const page of ['0', 'x', '501', '-1']) expect((await client.get(`/overseerr/discover/trending?page=${page}`)).status, page).to.equal(422)
  })
})
