// Title pages (issue 30, part 4): /overseerr/movie/:id and /overseerr/tv/:id show what
// Overseerr says of a title (poster and backdrop through our origin, year, length, genres,
// availability in words), the requests for it the viewer may see, the way to ask for it
// (the season picker for a show), and "Report a problem" only once it is in Plex.
import { expect } from 'chai'
import { MediaStatus } from '../../support/fake-overseerr.ts'
import { waitFor } from '../../support/wait-for.ts'
import { addMovie, addShow, startHarness, type Harness } from './harness.ts'

describe('overseerr: title pages', function () {
  this.timeout(60_000)
  let h: Harness
  before(async () => { h = await startHarness({ syncEvery: '1h' }) })
  after(async () => { await h?.stop() })

  it('a movie: poster and backdrop from our origin, year, runtime, genres, availability in words, and the request button', async () => {
    h.fake.addTitle({ mediaType: 'movie', tmdbId: 7001, title: 'Arrival Film', year: 2016, poster: '/arrival.jpg', backdrop: '/arrival-wide.jpg', runtime: 116, genres: ['Drama', 'Science Fiction'] })
    const { client } = await h.host.signedIn()
    const page = await client.get('/overseerr/movie/7001')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('<h1>Arrival Film <span class="muted">(2016)</span></h1>')
    expect(page.text).to.include('src="/overseerr/images/w300/arrival.jpg"').and.include('src="/overseerr/images/w1280/arrival-wide.jpg"')
    expect(page.text).to.include('Movie · 1 h 56 min · Drama, Science Fiction')
    expect(page.text).to.include('Not in Plex, and not requested yet.')
    expect(page.text).to.include('name="tmdbId" value="7001"').and.not.include('Report a problem')
    // Search results and discovery cards link to it.
    expect((await client.get('/overseerr?q=Arrival')).text).to.include('href="/overseerr/movie/7001"')
  })

  it('a show: its seasons and the picker; partly in Plex says which seasons', async () => {
    const tmdbId = addShow(h.fake, 'Partial Show', 3)
    h.fake.addTitle({ mediaType: 'tv', tmdbId, title: 'Partial Show', year: 2019, runtime: 45, seasons: [1, 2, 3].map((n) => ({ seasonNumber: n, episodeCount: 8 })) })
    const { client } = await h.host.signedIn()
    const fresh = await client.get(`/overseerr/tv/${tmdbId}`)
    expect(fresh.text).to.include('TV show · 3 seasons, episodes about 45 min').and.include('id="overseerr-seasons-form"')
    // Season 1 arrives through someone's request in Overseerr itself.
    const asker = await h.host.signedIn()
    await asker.client.post('/overseerr/requests', { mediaType: 'tv', tmdbId: String(tmdbId), seasonChoice: 'some', seasons: '1' })
    await h.admin.client.post(`/admin/overseerr/requests/${(await h.host.db('media_requests').where({ tmdb_id: tmdbId }).first()).id}/approve`, {})
    const sent = await waitFor('the request to reach Overseerr', async () => (await h.host.db('media_requests').where({ tmdb_id: tmdbId }).first())?.overseerr_id)
    h.fake.moveRequest(sent, 'available')
    const partial = await client.get(`/overseerr/tv/${tmdbId}`)
    expect(partial.text).to.include('Partly in Plex: season 1.')
    expect(partial.text).to.include('Report a problem')
    expect(partial.text).to.match(/id="overseerr-season-1"[\s\S]*?In Plex/)
  })

  it('lists only the viewer’s own requests for a title; an admin sees everyone’s, with names', async () => {
    const tmdbId = addMovie(h.fake, 'Shared Film')
    const bob = await h.host.signedIn(await h.host.createUser({ name: 'Bob Brown' }))
    await bob.client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    const carol = await h.host.signedIn(await h.host.createUser({ name: 'Carol Case' }))
    const carolPage = await carol.client.get(`/overseerr/movie/${tmdbId}`)
    expect(carolPage.text).not.to.include('Your requests for it')
    expect(carolPage.text).to.include('Already requested (waiting for approval) by someone else')
    const bobPage = await bob.client.get(`/overseerr/movie/${tmdbId}`)
    expect(bobPage.text).to.match(/href="\/overseerr\/requests\/[0-9a-f-]{36}"/).and.not.include('by Bob Brown')
    const adminPage = await h.admin.client.get(`/overseerr/movie/${tmdbId}`)
    expect(adminPage.text).to.include('Requests for it').and.include('by Bob Brown')
  })

  it('in Plex: nothing to request, and a problem can be reported', async () => {
    const tmdbId = addMovie(h.fake, 'Plex Film', { availability: MediaStatus.AVAILABLE })
    const page = await (await h.host.signedIn()).client.get(`/overseerr/movie/${tmdbId}`)
    expect(page.text).to.include('In Plex: ready to watch.').and.include('Report a problem').and.not.include('id="overseerr-ask"')
    expect(page.text).to.include('id="overseerr-problem-form"')
  })

  it('an id Overseerr does not know is a 404 in words; a malformed one a 422; Overseerr down is said in words', async () => {
    const { client } = await h.host.signedIn()
    const unknown = await client.get('/overseerr/movie/999999')
    expect(unknown.status).to.equal(404)
    expect(unknown.text).to.include('Overseerr knows no movie with TMDB id 999999')
    for (const bad of ['abc', '0', '-1', '99999999999']) expect((await client.get(`/overseerr/tv/${bad}`)).status, bad).to.equal(422)
    expect((await client.get('/overseerr/person/1')).status).to.equal(404)
    h.fake.status(500)
    try {
      const down = await client.get('/overseerr/movie/7001')
      expect(down.status).to.equal(502)
      expect(down.text).to.include('Overseerr')
    } finally {
      h.fake.status(200)
      await h.fake.recover()
    }
  })
})

