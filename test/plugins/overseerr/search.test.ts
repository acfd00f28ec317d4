// Search (issue 20, part 1): results with title, year, type, poster and availability,
// paging, awkward queries reaching Overseerr encoded as it demands, and bad input.
import { expect } from 'chai'
import { MediaStatus } from '../../support/fake-overseerr.ts'
import { addMovie, startHarness, type Harness } from './harness.ts'

describe('overseerr: search', function () {
  this.timeout(60_000)
  let h: Harness
  before(async () => { h = await startHarness() })
  after(async () => { await h?.stop() })

  it('shows each result with its year, type, lazy poster and availability in words', async () => {
    const { fake } = h
    fake.addTitle({ mediaType: 'movie', tmdbId: 603, title: 'The Matrix', year: 1999, poster: '/matrix.jpg', availability: MediaStatus.AVAILABLE })
    fake.addTitle({ mediaType: 'movie', tmdbId: 604, title: 'The Matrix Reloaded', year: 2003, availability: MediaStatus.PARTIALLY_AVAILABLE })
    fake.addTitle({ mediaType: 'movie', tmdbId: 605, title: 'The Matrix Revolutions', year: 2003, availability: MediaStatus.PROCESSING })
    fake.addTitle({ mediaType: 'tv', tmdbId: 606, title: 'The Matrix Show', year: 2021, availability: MediaStatus.PENDING })
    fake.addTitle({ mediaType: 'movie', tmdbId: 607, title: 'The Matrix Resurrections', year: 2021 })
    fake.addTitle({ mediaType: 'movie', tmdbId: 608, title: 'The Matrix Oddity', year: 2022, availability: 7 })
    const page = await h.admin.client.get('/overseerr?q=matrix')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('The Matrix').and.include('(1999)').and.include('TV show')
    expect(page.text).to.include('<img src="/overseerr/images/w300/matrix.jpg" alt="" loading="lazy"')
    for (const label of ['Available', 'Partially available', 'Processing', 'Requested', 'Unknown status (7)']) expect(page.text).to.include(`>${label}<`)
    // A title nobody asked for has its Request button, not a badge saying so.
    expect(page.text).not.to.include('Not requested')
    expect(page.text).to.include('Request<span class="visually-hidden">')
    expect(page.text).to.include('Already in the library.')
    expect(page.text).to.include('href="/overseerr/tv/606"')
  })

  it('shows one badge per title: our request’s status when we have one, not also Overseerr’s “not requested”', async () => {
    const tmdbId = addMovie(h.fake, 'Onebadge Film')
    const { client } = await h.host.signedIn()
    await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    const page = await client.get('/overseerr?q=onebadge')
    const card = page.text.slice(page.text.indexOf(`id="overseerr-result-movie-${tmdbId}"`), page.text.indexOf('</li>', page.text.indexOf(`id="overseerr-result-movie-${tmdbId}"`)))
    expect(card.match(/class="badge/g) ?? []).to.have.length(1)
    expect(card).to.include('>Waiting for approval<').and.include('Already requested: <a href="/overseerr/requests/')
  })

  it('answers htmx with the results alone, and pages through them', async () => {
    for (let i = 0; i < 25; i++) addMovie(h.fake, `Paging Film ${i}`)
    const first = await h.admin.client.get('/overseerr?q=paging%20film', { htmx: true })
    expect(first.text).to.match(/^<section class="card" id="overseerr-results"/)
    expect(first.text).to.include('page 1 of 2').and.include('href="/overseerr?q=paging%20film&amp;page=2"')
    const second = await h.admin.client.get('/overseerr?q=paging%20film&page=2')
    expect(second.text).to.include('page 2 of 2').and.include('Paging Film 24')
  })

  it('sends spaces, quotes, &, (, ! and non-Latin letters percent-encoded, and finds the title', async () => {
    const title = `Amélie & "Friends" (Ça!) 東京's`
    addMovie(h.fake, title)
    const before = h.fake.requests.length
    const page = await h.admin.client.get(`/overseerr?q=${encodeURIComponent(title)}`)
    expect(page.status).to.equal(200)
    expect(page.text).to.include('Amélie &amp; &quot;Friends&quot; (Ça!) 東京&#39;s')
    const sent = h.fake.requests.slice(before).find((r) => r.path === '/api/v1/search')!
    expect(sent.url).to.include('query=Am%C3%A9lie%20%26%20%22Friends%22%20%28%C3%87a%21%29%20%E6%9D%B1%E4%BA%AC%27s')
  })

  it('refuses a 500-character search beside the field, and asks nothing of Overseerr', async () => {
    const before = h.fake.requests.length
    const page = await h.admin.client.get(`/overseerr?q=${'a'.repeat(500)}`)
    expect(page.status).to.equal(422)
    expect(page.text).to.include('Keep the search under 200 characters.').and.include('aria-invalid="true"')
    expect(h.fake.requests.length).to.equal(before)
  })

  it('answers an empty query with the discovery rows, not a search', async () => {
    const before = h.fake.requests.length
    const page = await h.admin.client.get('/overseerr?q=%20%20')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('>Trending</h3>')
    expect(h.fake.requests.slice(before).some((r) => r.path === '/api/v1/search')).to.equal(false)
  })

  it('escapes hostile titles and overviews', async () => {
    h.fake.addTitle({ mediaType: 'movie', tmdbId: 990001, title: '<script>alert(1)</script> Hostile', year: 2020, overview: '"><img src=x onerror=alert(2)>' })
    const page = await h.admin.client.get('/overseerr?q=hostile')
    expect(page.text).not.to.include('<script>alert(1)')
    expect(page.text).not.to.include('<img src=x onerror')
    expect(page.text).to.include('&lt;script&gt;alert(1)&lt;/script&gt; Hostile')
  })
})
