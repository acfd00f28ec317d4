// Seasons as rows of their own (issue 30, part 1): bob asks for season 1, it reaches Plex
// while the show is only partly there, and his request completes; carol can then ask for
// season 2 (Overseerr accepts it too), and hers completes when it arrives. The picker
// shows each season's state, only free seasons are offered, and two people asking for the
// same season at once leave one request for it.
import { expect } from 'chai'
import * as seasonsMigration from '../../../plugins/overseerr/migrations/202612071000_seasons_with_status.ts'
import { addShow, formPairs, requestRow, startHarness, timeline, waitForStatus, WEBHOOK_SECRET, type Harness } from './harness.ts'

describe('overseerr: a show, season by season', function () {
  this.timeout(90_000)
  let h: Harness
  before(async () => { h = await startHarness({ syncEvery: '1h' }) })
  after(async () => { await h?.stop() })

  const hook = () => `${h.host.url}/overseerr/hooks/overseerr`
  const deliver = (id: number) => h.fake.sendWebhook(hook(), { authorization: WEBHOOK_SECRET, payload: h.fake.webhookPayload('MEDIA_AVAILABLE', id) })
  async function ask(client: Harness['admin']['client'], tmdbId: number, seasons: number[]) {
    return client.formRequest('POST', '/overseerr/requests', formPairs([['mediaType', 'tv'], ['tmdbId', String(tmdbId)], ['seasonChoice', 'some'], ...seasons.map((n): [string, string] => ['seasons', String(n)])]))
  }
  async function approveAndSend(id: string) {
    await h.admin.client.post(`/admin/overseerr/requests/${id}/approve`, {})
    return waitForStatus(h.host, id, 'in_progress')
  }
  const rowsFor = (tmdbId: number) => h.host.db('media_requests').where({ tmdb_id: tmdbId, media_type: 'tv' }).orderBy('created_at')

  it('the migration gives older season rows their show and state, and an older whole-show request still covers every season', async () => {
    await seasonsMigration.down(h.host.db)
    const owner = await h.host.createUser({ name: 'Before' })
    const insert = async (tmdbId: number, status: string, allSeasons: boolean, seasons: number[]) => {
      const [row] = await h.host.db('media_requests').insert({ user_id: owner.id, title: `Old ${tmdbId}`, media_type: 'tv', tmdb_id: tmdbId, status, all_seasons: allSeasons }).returning('*')
      if (seasons.length) await h.host.db('media_request_seasons').insert(seasons.map((n) => ({ request_id: row.id, season_number: n })))
      return row.id as string
    }
    const done = await insert(81, 'completed', false, [1, 2])
    const open = await insert(82, 'in_progress', false, [3])
    const gone = await insert(83, 'rejected', false, [1])
    const whole = addShow(h.fake, 'Old Whole Show', 2)
    await insert(whole, 'pending', true, [])
    await seasonsMigration.up(h.host.db)
    const states = async (id: string) => h.host.db('media_request_seasons').where({ request_id: id }).orderBy('season_number').select('tmdb_id', 'status')
    expect(await states(done)).to.deep.equal([{ tmdb_id: 81, status: 'available' }, { tmdb_id: 81, status: 'available' }])
    expect(await states(open)).to.deep.equal([{ tmdb_id: 82, status: 'open' }])
    expect(await states(gone)).to.deep.equal([{ tmdb_id: 83, status: 'ended' }])
    // Asking for a season of the show someone asked for whole, before: already requested.
    const asker = await h.host.signedIn()
    expect((await asker.client.get(`/overseerr/tv/${whole}`)).text).to.include('Every season is in Plex or asked for already')
    expect((await ask(asker.client, whole, [2])).status).to.equal(409)
  })

  it('season 1 in Plex completes bob’s request; carol then asks for season 2 and hers completes when it arrives', async () => {
    const show = addShow(h.fake, 'Two Seasons', 2)
    const bob = await h.host.signedIn(await h.host.createUser({ name: 'Bob' }))
    const carol = await h.host.signedIn(await h.host.createUser({ name: 'Carol' }))

    expect((await ask(bob.client, show, [1])).status).to.equal(303)
    const bobs = await approveAndSend((await requestRow(h.host, show)).id)
    // On its way in Overseerr, asked for by bob: carol sees that, and cannot pick it.
    expect((await carol.client.get(`/overseerr/tv/${show}`)).text).to.match(/Season 1<\/span> <span class="badge warn">Asked for by someone<\/span>/)
    h.fake.moveRequest(bobs.overseerr_id, 'available')
    await deliver(bobs.overseerr_id)
    await waitForStatus(h.host, bobs.id, 'completed')
    const steps = await timeline(h.host, bobs.id)
    expect(steps.some((t) => t.note === 'Season 1 is in Plex now.')).to.equal(true)
    expect(steps.at(-1)!.note).to.equal('Overseerr: every season it asked for is in Plex.')

    // The picker, for carol: season 1 in Plex, season 2 free (and the only one offered).
    const picker = await carol.client.get(`/overseerr/tv/${show}`)
    expect(picker.text).to.match(/id="overseerr-season-1">\s*<span>Season 1<\/span> <span class="badge ok">In Plex<\/span>/)
    expect(picker.text).to.include('name="seasons" value="2"').and.not.include('name="seasons" value="1"')

    // "Every season nobody has asked for" is season 2 now; Overseerr accepts it (201).
    expect((await carol.client.post('/overseerr/requests', { mediaType: 'tv', tmdbId: String(show), seasonChoice: 'all' })).status).to.equal(303)
    const carols = (await rowsFor(show)).find((r: { user_id: string }) => r.user_id === carol.user.id)
    expect(await h.host.db('media_request_seasons').where({ request_id: carols.id }).pluck('season_number')).to.deep.equal([2])
    const sent = await approveAndSend(carols.id)
    const post = h.fake.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/request').at(-1)!
    expect(JSON.parse(post.body)).to.deep.include({ mediaType: 'tv', seasons: [2] })
    h.fake.moveRequest(sent.overseerr_id, 'available')
    await deliver(sent.overseerr_id)
    await waitForStatus(h.host, carols.id, 'completed')
    expect((await h.host.db('media_requests').where({ id: bobs.id }).first()).status).to.equal('completed')
  })

  it('refuses a request for only seasons someone already asked for, with a link, and takes the free ones of a mix', async () => {
    const show = addShow(h.fake, 'Three Seasons', 3)
    const bob = await h.host.signedIn(await h.host.createUser({ name: 'Bob Two' }))
    const carol = await h.host.signedIn(await h.host.createUser({ name: 'Carol Two' }))
    await ask(bob.client, show, [1, 2])
    const taken = await carol.client.formRequest('POST', '/overseerr/requests', formPairs([['mediaType', 'tv'], ['tmdbId', String(show)], ['seasonChoice', 'some'], ['seasons', '2']]), { htmx: true })
    expect(taken.status).to.equal(409)
    expect(taken.text).to.include('already requested (waiting for approval)')
    expect(await rowsFor(show)).to.have.length(1)

    const picker = await carol.client.get(`/overseerr/tv/${show}`)
    expect(picker.text).to.include('Asked for by someone').and.include('name="seasons" value="3"').and.not.include('name="seasons" value="2"')
    // Bob sees his own request linked from the picker.
    expect((await bob.client.get(`/overseerr/tv/${show}`)).text).to.include('You asked for it').and.include('See the request')

    const mixed = await carol.client.post('/overseerr/requests', formPairs([['mediaType', 'tv'], ['tmdbId', String(show)], ['seasonChoice', 'some'], ['seasons', '2'], ['seasons', '3']]), { htmx: true })
    expect(mixed.status).to.equal(201)
    expect(mixed.text).to.include('Season 2 was left out')
    const carols = (await rowsFor(show)).find((r: { user_id: string }) => r.user_id === carol.user.id)
    expect(await h.host.db('media_request_seasons').where({ request_id: carols.id }).pluck('season_number')).to.deep.equal([3])
  })

  it('shows a season asked for in Overseerr itself as being processed, and does not offer it', async () => {
    const show = addShow(h.fake, 'Asked Elsewhere', 2)
    const direct = await fetch(`${h.fake.url}/api/v1/request`, {
      method: 'POST', headers: { 'X-Api-Key': h.fake.apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ mediaType: 'tv', mediaId: show, seasons: [2] }),
    })
    expect(direct.status).to.equal(201)
    const { client } = await h.host.signedIn()
    const picker = await client.get(`/overseerr/tv/${show}`)
    expect(picker.text).to.match(/Season 2<\/span> <span class="badge ">Being processed<\/span>/)
    expect(picker.text).to.include('name="seasons" value="1"').and.not.include('name="seasons" value="2"')
  })

  it('two people asking for the same season at once leave one open request for it', async () => {
    const show = addShow(h.fake, 'Raced Season', 2)
    const people = await Promise.all([1, 2, 3, 4].map(async (i) => h.host.signedIn(await h.host.createUser({ name: `Racer ${i}` }))))
    const answers = await Promise.all(people.map((p) => ask(p.client, show, [1])))
    expect(answers.filter((a) => a.status === 303)).to.have.length(1)
    expect(answers.filter((a) => a.status === 409)).to.have.length(3)
    expect(await h.host.db('media_request_seasons').where({ tmdb_id: show, season_number: 1, status: 'open' })).to.have.length(1)
  })

  it('a withdrawn request frees its seasons for anyone', async () => {
    const show = addShow(h.fake, 'Freed Season', 1)
    const bob = await h.host.signedIn(await h.host.createUser({ name: 'Bob Three' }))
    const carol = await h.host.signedIn(await h.host.createUser({ name: 'Carol Three' }))
    await ask(bob.client, show, [1])
    const bobs = await requestRow(h.host, show)
    await bob.client.post(`/overseerr/requests/${bobs.id}/withdraw`, {})
    expect(await h.host.db('media_request_seasons').where({ request_id: bobs.id }).pluck('status')).to.deep.equal(['ended'])
    expect((await ask(carol.client, show, [1])).status).to.equal(303)
  })
})
