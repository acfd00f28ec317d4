// Requesting (issue 20, parts 2 and 3): a pending row, the two dedupe refusals, twenty
// simultaneous clicks making one row, auto-approval by role, an admin's approval sending
// it to Overseerr on the requester's behalf, rejection with a reason, tv seasons, and
// bad input that changes nothing.
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import { MediaStatus } from '../../support/fake-overseerr.ts'
import { addMovie, formPairs, addShow, requestRow, startHarness, timeline, waitForStatus, type Harness } from './harness.ts'

describe('overseerr: requesting', function () {
  this.timeout(90_000)
  let h: Harness
  before(async () => { h = await startHarness() })
  after(async () => { await h?.stop() })

  const count = async () => Number((await h.host.db('media_requests').count({ n: '*' }))[0].n)

  it('a user’s request waits as pending, with its timeline, and nothing goes to Overseerr', async () => {
    const tmdbId = addMovie(h.fake, 'Pending Picture')
    const { client, user } = await h.host.signedIn()
    const res = await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    expect(res.status).to.equal(303)
    const row = await requestRow(h.host, tmdbId)
    expect(row).to.include({ user_id: user.id, title: 'Pending Picture', media_type: 'movie', status: 'pending', overseerr_id: null })
    expect(res.headers.get('location')).to.equal(`/overseerr/requests/${row.id}`)
    const page = await client.get(`/overseerr/requests/${row.id}`)
    expect(page.text).to.include('Waiting for approval').and.include('Requested. You can follow it here.')
    expect((await timeline(h.host, row.id)).map((t) => t.to_status)).to.deep.equal(['pending'])
    expect(h.fake.requests.some((r) => r.method === 'POST' && r.path === '/api/v1/request')).to.equal(false)
  })

  it('refuses a second request for the same title while one is open, with a link for its owner', async () => {
    const tmdbId = addMovie(h.fake, 'Twice Asked')
    const { client } = await h.host.signedIn()
    await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    const row = await requestRow(h.host, tmdbId)
    const again = await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) }, { htmx: true })
    expect(again.status).to.equal(409)
    expect(again.text).to.include('already requested').and.include(`href="/overseerr/requests/${row.id}"`)
    const other = await h.host.signedIn()
    const theirs = await other.client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    expect(theirs.status).to.equal(409)
    expect(theirs.text).to.include('Someone else asked for it').and.not.include(`/overseerr/requests/${row.id}`)
    expect(await h.host.db('media_requests').where({ tmdb_id: tmdbId })).to.have.length(1)
  })

  it('refuses what is already in the library', async () => {
    const tmdbId = addMovie(h.fake, 'Already Here', { availability: MediaStatus.AVAILABLE })
    const { client } = await h.host.signedIn()
    const res = await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    expect(res.status).to.equal(409)
    expect(res.text).to.include('already in the library')
    expect(await requestRow(h.host, tmdbId)).to.equal(undefined)
  })

  it('twenty people clicking at the same moment make one row', async () => {
    const tmdbId = addMovie(h.fake, 'Rush Hour Request')
    const people = await Promise.all(Array.from({ length: 20 }, () => h.host.signedIn()))
    const answers = await Promise.all(people.map(({ client }) => client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })))
    expect(answers.filter((a) => a.status === 303)).to.have.length(1)
    expect(answers.filter((a) => a.status === 409)).to.have.length(19)
    expect(await h.host.db('media_requests').where({ tmdb_id: tmdbId })).to.have.length(1)
  })

  it('the database itself refuses a second open row for a title', async () => {
    const tmdbId = addMovie(h.fake, 'Index Guarded')
    const user = await h.host.createUser()
    const row = { user_id: user.id, title: 'x', media_type: 'movie', tmdb_id: tmdbId, status: 'pending' }
    await h.host.db('media_requests').insert(row)
    let refused: Error | null = null
    await h.host.db('media_requests').insert({ ...row, status: 'downloading' }).catch((e: Error) => { refused = e })
    expect(String(refused)).to.match(/media_requests_one_open|duplicate key/)
    await h.host.db('media_requests').insert({ ...row, status: 'completed' })
    await h.host.db('media_requests').where({ tmdb_id: tmdbId }).del()
  })

  it('an admin approves: sent to Overseerr as the requester (found by Plex id), approved there, in progress with its id', async () => {
    const tmdbId = addMovie(h.fake, 'Approved Feature')
    const person = await h.host.createUser({ email: 'plexfan@example.com', name: 'Plex Fan' })
    await h.host.db('accounts').insert({ user_id: person.id, type: 'oauth', provider: 'plex', provider_account_id: '424242' })
    const theirId = h.fake.addUser({ email: 'someone-else@example.com', plexId: 424242, plexUsername: 'plexfan' })
    const { client } = await h.host.signedIn(person)
    await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    const row = await requestRow(h.host, tmdbId)
    const approved = await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
    expect(approved.status).to.equal(303)
    const sent = await waitForStatus(h.host, row.id, 'in_progress')
    const post = h.fake.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/request' && JSON.parse(r.body).mediaId === tmdbId)!
    expect(post.headers['x-api-user']).to.equal(String(theirId))
    expect(post.headers['x-api-key']).to.equal(h.fake.apiKey)
    expect(sent.overseerr_id).to.be.a('number')
    await waitFor('the approval in Overseerr', () => h.fake.requests.some((r) => r.method === 'POST' && r.path === `/api/v1/request/${sent.overseerr_id}/approve`))
    const steps = await timeline(h.host, row.id)
    expect(steps.map((t) => `${t.from_status}->${t.to_status}`)).to.deep.equal(['null->pending', 'pending->approved', 'approved->in_progress'])
    expect(steps[1].actor).to.equal('Admin Ada')
  })

  it('finds the Overseerr user by email when there is no Plex account', async () => {
    const tmdbId = addMovie(h.fake, 'Email Matched')
    const person = await h.host.createUser({ email: 'mail.match@example.com' })
    const theirId = h.fake.addUser({ email: 'Mail.Match@Example.com' })
    const { client } = await h.host.signedIn(person)
    await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    const row = await requestRow(h.host, tmdbId)
    await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
    await waitForStatus(h.host, row.id, 'in_progress')
    const post = h.fake.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/request' && JSON.parse(r.body).mediaId === tmdbId)!
    expect(post.headers['x-api-user']).to.equal(String(theirId))
  })

  it('an admin’s own request is auto-approved and sent as the key’s user when Overseerr knows no match', async () => {
    const tmdbId = addMovie(h.fake, 'Admin Pick')
    const res = await h.admin.client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) }, { htmx: true })
    expect(res.status).to.equal(201)
    expect(res.text).to.include('Approved, sending')
    const row = await requestRow(h.host, tmdbId)
    const sent = await waitForStatus(h.host, row.id, 'in_progress')
    const post = h.fake.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/request' && JSON.parse(r.body).mediaId === tmdbId)!
    expect(post.headers['x-api-user']).to.equal(undefined)
    expect((await timeline(h.host, sent.id)).map((t) => t.actor)).to.deep.equal(['Admin Ada', 'MediaNest (auto-approval)', 'MediaNest (sending to Overseerr)'])
  })

  it('an admin rejects with a reason: the timeline and the page say why, and the event carries it', async () => {
    const tmdbId = addMovie(h.fake, 'Not This One')
    const { client } = await h.host.signedIn()
    await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    const row = await requestRow(h.host, tmdbId)
    const res = await h.admin.client.post(`/admin/overseerr/requests/${row.id}/reject`, { reason: 'We own it on <b>DVD</b>' }, { htmx: true })
    expect(res.status).to.equal(200)
    expect(res.text).to.include('Rejected')
    expect((await requestRow(h.host, tmdbId)).status).to.equal('rejected')
    const page = await client.get(`/overseerr/requests/${row.id}`)
    expect(page.text).to.include('We own it on &lt;b&gt;DVD&lt;/b&gt;')
    const again = await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {}, { htmx: true })
    expect(again.status).to.equal(409)
    expect((await requestRow(h.host, tmdbId)).status).to.equal('rejected')
  })

  it('approves and rejects in bulk', async () => {
    const { client } = await h.host.signedIn()
    const ids: string[] = []
    for (const name of ['Bulk A', 'Bulk B', 'Bulk C']) {
      const tmdbId = addMovie(h.fake, name)
      await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
      ids.push((await requestRow(h.host, tmdbId)).id)
    }
    const queue = await h.admin.client.get('/admin/overseerr')
    for (const id of ids) expect(queue.text).to.include(`id="overseerr-queue-${id}"`)
    const res = await h.admin.client.formRequest('POST', '/admin/overseerr/bulk', { action: 'reject', reason: 'Too many', ids: ids[0] })
    expect(res.status).to.equal(303)
    const both = await h.admin.client.post('/admin/overseerr/bulk', formPairs([['action', 'approve'], ['ids', ids[1]], ['ids', ids[2]], ['ids', ids[0]]]), { htmx: true })
    expect(both.text).to.include('Approved 2 requests.').and.include('Skipped 1')
    const statuses = await h.host.db('media_requests').whereIn('id', ids).orderBy('title').pluck('status')
    expect(statuses[0]).to.equal('rejected')
    expect(statuses.slice(1).every((s: string) => ['approved', 'in_progress'].includes(s))).to.equal(true)
  })

  it('selects every waiting request shown without JavaScript, shows a show’s seasons, and refuses an empty selection', async () => {
    const { client } = await h.host.signedIn()
    const movie = addMovie(h.fake, 'All Shown Movie')
    const show = addShow(h.fake, 'All Shown Show', 4)
    await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(movie) })
    await client.formRequest('POST', '/overseerr/requests', formPairs([['mediaType', 'tv'], ['tmdbId', String(show)], ['seasonChoice', 'some'], ['seasons', '1'], ['seasons', '3']]))
    const [m, s] = [await requestRow(h.host, movie), await requestRow(h.host, show)]
    const queue = await h.admin.client.get('/admin/overseerr')
    expect(queue.text).to.include('TV show · Seasons 1, 3').and.include('name="all" value="1"')
    for (const id of [m.id, s.id]) expect(queue.text).to.include(`name="shown" value="${id}"`)

    const empty = await h.admin.client.post('/admin/overseerr/bulk', { action: 'approve' }, { htmx: true })
    expect(empty.status).to.equal(422)
    expect(empty.text).to.include('Select at least one request')
    expect((await requestRow(h.host, movie)).status).to.equal('pending')
    // What the admin saw, and nothing more: a request that is not shown stays as it was.
    const unseen = addMovie(h.fake, 'Not Shown')
    await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(unseen) })
    const res = await h.admin.client.post('/admin/overseerr/bulk', formPairs([['action', 'reject'], ['all', '1'], ['shown', m.id], ['shown', s.id], ['reason', 'Not now']]), { htmx: true })
    expect(res.text).to.include('Rejected 2 requests.')
    expect((await requestRow(h.host, movie)).status).to.equal('rejected')
    expect((await requestRow(h.host, show)).status).to.equal('rejected')
    expect((await requestRow(h.host, unseen)).status).to.equal('pending')
  })

  it('a show: all seasons (written out), or the ones picked (stored), and a pick of none is refused beside the field', async () => {
    const all = addShow(h.fake, 'Whole Show')
    const some = addShow(h.fake, 'Partial Show', 4)
    const { client } = await h.host.signedIn()
    const picker = await client.get(`/overseerr/tv/${some}`)
    expect(picker.text).to.include('Season 4')
    expect((await client.post('/overseerr/requests', { mediaType: 'tv', tmdbId: String(all), seasonChoice: 'all' })).status).to.equal(303)
    const whole = await requestRow(h.host, all)
    expect(whole).to.include({ all_seasons: false, media_type: 'tv' })
    expect(await h.host.db('media_request_seasons').where({ request_id: whole.id }).orderBy('season_number').pluck('season_number')).to.deep.equal([1, 2, 3])
    const none = await client.post('/overseerr/requests', { mediaType: 'tv', tmdbId: String(some), seasonChoice: 'some' }, { htmx: true })
    expect(none.status).to.equal(422)
    expect(none.text).to.include('Pick at least one season').and.include('aria-invalid="true"')
    for (const season of ['9', '0', '-1', 'two']) {
      const bogus = await client.post('/overseerr/requests', { mediaType: 'tv', tmdbId: String(some), seasonChoice: 'some', seasons: season }, { htmx: true })
      expect(bogus.status, season).to.equal(422)
      expect(bogus.text, season).to.match(season === '0' ? /specials \(season 0\) cannot be requested/ : /has no such season/)
    }
    expect(await requestRow(h.host, some)).to.equal(undefined)
    const res = await client.formRequest('POST', '/overseerr/requests', formPairs([['mediaType', 'tv'], ['tmdbId', String(some)], ['seasonChoice', 'some'], ['seasons', '2'], ['seasons', '4']]))
    expect(res.status).to.equal(303)
    const row = await requestRow(h.host, some)
    expect(await h.host.db('media_request_seasons').where({ request_id: row.id }).orderBy('season_number').pluck('season_number')).to.deep.equal([2, 4])
    await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
    await waitForStatus(h.host, row.id, 'in_progress')
    const post = h.fake.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/request' && JSON.parse(r.body).mediaId === some)!
    expect(JSON.parse(post.body)).to.deep.include({ mediaType: 'tv', seasons: [2, 4] })
  })

  it('refuses an unknown media type, a non-numeric id and a title Overseerr does not know, writing nothing', async () => {
    const { client } = await h.host.signedIn()
    const before = await count()
    const type = await client.post('/overseerr/requests', { mediaType: 'music', tmdbId: '5' })
    expect(type.status).to.equal(422)
    expect(type.text).to.include('Choose a movie or a TV show.')
    const id = await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: '12abc' })
    expect(id.status).to.equal(422)
    expect(id.text).to.include('The TMDB id must be a number.')
    const unknown = await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: '987654' })
    expect(unknown.status).to.equal(422)
    expect(unknown.text).to.include('Overseerr knows no movie with TMDB id 987654.')
    expect(await count()).to.equal(before)
  })

  it('an anonymous request writes nothing', async () => {
    const tmdbId = addMovie(h.fake, 'Anonymous Try')
    const client = h.host.client()
    await client.get('/login')
    const res = await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    expect(res.status).to.be.oneOf([302, 303, 401, 403])
    expect(await requestRow(h.host, tmdbId)).to.equal(undefined)
  })

  it('Overseerr’s own pending request for a user’s request is approved there', async () => {
    const tmdbId = addMovie(h.fake, 'Left Pending There')
    const person = await h.host.createUser({ email: 'nonauto@example.com' })
    h.fake.addUser({ email: 'nonauto@example.com' })
    const { client } = await h.host.signedIn(person)
    await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    const row = await requestRow(h.host, tmdbId)
    await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
    const sent = await waitForStatus(h.host, row.id, 'in_progress')
    const post = h.fake.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/request' && JSON.parse(r.body).mediaId === tmdbId)!
    expect(post.headers['x-api-user']).to.be.a('string')
    // The approval there follows the move to in_progress.
    await waitFor('the approval in Overseerr', () => h.fake.requests.some((r) => r.method === 'POST' && r.path === `/api/v1/request/${sent.overseerr_id}/approve`))
  })
})
