// When things go wrong (issue 20, "Bad input and upstream failure", parts 3, 4, 8, 9):
// a send that fails is retried by its job and then marked failed; the poll follows
// requests without any webhook; Overseerr down, slow, refusing the key or answering
// garbage is said in words; people reach only their own requests; the hourly cap holds;
// "Test connection" names the version and the key's user, or why not.
import { expect } from 'chai'
import { resetBreakers } from '../../../core/upstream.ts'
import { waitFor } from '../../support/wait-for.ts'
import { addMovie, configureOverseerr, requestRow, startHarness, timeline, waitForStatus, type Harness } from './harness.ts'

describe('overseerr: failures, the poll, limits and who may see what', function () {
  this.timeout(120_000)
  let h: Harness
  before(async () => { h = await startHarness({ syncEvery: '1s', sendAttempts: 2, requestsPerHour: 4 }) })
  after(async () => { await h?.stop() })
  afterEach(async () => {
    await h.fake.recover()
    await configureOverseerr(h.host, h.fake.url, h.fake.apiKey)
  })

  async function pendingRequest(title: string) {
    const tmdbId = addMovie(h.fake, title)
    const signed = await h.host.signedIn()
    await signed.client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    return { ...signed, tmdbId, row: await requestRow(h.host, tmdbId) }
  }

  it('the poll follows a sent request to completed with no webhook at all', async () => {
    const { row } = await pendingRequest('Polled Picture')
    await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
    const sent = await waitForStatus(h.host, row.id, 'in_progress')
    h.fake.moveRequest(sent.overseerr_id, 'downloading')
    await waitForStatus(h.host, row.id, 'downloading')
    h.fake.moveRequest(sent.overseerr_id, 'available')
    const done = await waitForStatus(h.host, row.id, 'completed')
    expect(done.completed_at).to.be.an.instanceOf(Date)
    expect((await timeline(h.host, row.id)).at(-1)).to.include({ actor: 'Overseerr (status sync)', to_status: 'completed' })
  })

  it('a send that keeps failing is retried by its job, then marked failed with the reason; a retry then gets through', async () => {
    const { row, client } = await pendingRequest('Unlucky Send')
    h.fake.status(500, 'database is locked')
    await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
    const failed = await waitForStatus(h.host, row.id, 'failed', 30_000)
    expect(failed.overseerr_id).to.equal(null)
    const posts = h.fake.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/request')
    expect(posts.length).to.be.at.least(2)
    const last = (await timeline(h.host, row.id)).at(-1)
    expect(last.note).to.include('Could not send it to Overseerr after 2 attempts').and.include('database is locked')
    await h.fake.recover()
    resetBreakers()
    expect((await client.post(`/overseerr/requests/${row.id}/retry`, {})).status).to.equal(303)
    await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
    const sent = await waitForStatus(h.host, row.id, 'in_progress')
    expect(sent.overseerr_id).to.be.a('number')
  })

  it('a send whose last attempt dies with its process is marked failed with the reason (onFailed), not left approved', async () => {
    const { row } = await pendingRequest('Dead Sender')
    h.fake.slow() // the POST never answers: the send is mid-flight
    await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
    const job = await waitFor('the send to be running', () => h.host.db('jobs')
      .where({ name: 'overseerr.send', status: 'running' }).whereRaw(`payload->>'requestId' = ?`, [row.id]).first())
    // What a process that stopped responding in its last attempt leaves: the fence taken, the lease run out.
    await h.host.db('jobs').where({ id: job.id }).update({
      attempts: h.host.db.raw('max_attempts'), fence: h.host.db.raw('fence + 1'), lease_owner: 'a-dead-process',
      lease_expires_at: h.host.db.raw(`now() - interval '1 second'`),
    })
    const failed = await waitForStatus(h.host, row.id, 'failed')
    expect(failed.overseerr_id).to.equal(null)
    const last = (await timeline(h.host, row.id)).at(-1)
    expect(last).to.include({ from_status: 'approved', to_status: 'failed', actor: 'MediaNest (sending to Overseerr)' })
    expect(last.note).to.equal('Could not send it to Overseerr: the worker a-dead-process lost its lease during attempt 2 (it crashed or stopped responding)')
    expect(await h.host.db('jobs').where({ id: job.id }).first()).to.include({ status: 'failed' })
  })

  it('a send whose answer was lost links the request Overseerr already made (409) instead of failing', async () => {
    const { row, tmdbId } = await pendingRequest('Lost Answer')
    // Someone asked in Overseerr directly: our send meets a 409 and links theirs.
    const other = h.fake.addUser({ email: 'direct@example.com', admin: true })
    await fetch(`${h.fake.url}/api/v1/request`, { method: 'POST', headers: { 'X-Api-Key': h.fake.apiKey, 'X-API-User': String(other), 'Content-Type': 'application/json' }, body: JSON.stringify({ mediaType: 'movie', mediaId: tmdbId, is4k: false }) })
    await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
    const sent = await waitForStatus(h.host, row.id, 'in_progress')
    expect(sent.overseerr_id).to.be.a('number')
    expect((await timeline(h.host, row.id)).at(-1).note).to.include('linked to its request')
  })

  it('says in words when Overseerr is down, slow, refuses the key or answers garbage, and logs it with the request id', async () => {
    const { client } = await h.host.signedIn()
    addMovie(h.fake, 'Failure Film')
    await h.fake.down()
    let page = await client.get('/overseerr?q=failure')
    expect(page.status).to.equal(502)
    expect(page.text).to.include('Overseerr').and.include('refused the connection')
    const logged = await h.host.db('error_logs').orderBy('created_at', 'desc').first()
    expect(logged.correlation_id).to.equal(page.headers.get('x-request-id'))
    await h.fake.recover()
    resetBreakers()

    h.fake.slow()
    page = await client.get('/overseerr?q=failure')
    expect(page.status).to.equal(502)
    expect(page.text).to.include('did not answer within 2 s')
    await h.fake.recover()
    resetBreakers()

    h.fake.garbage()
    page = await client.get('/overseerr?q=failure')
    expect(page.status).to.equal(502)
    expect(page.text).to.include('not valid JSON')
    await h.fake.recover()
    resetBreakers()

    h.fake.status(500, 'boom')
    page = await client.get('/overseerr?q=failure')
    expect(page.status).to.equal(502)
    expect(page.text).to.include('Overseerr')
    await h.fake.recover()
    resetBreakers()

    await configureOverseerr(h.host, h.fake.url, 'a-wrong-key')
    page = await client.get('/overseerr?q=failure')
    expect(page.text).to.include('refused MediaNest&#39;s API key (HTTP 403)')
    // Added without its API key: not set up yet, said in a page, not an error.
    await configureOverseerr(h.host, h.fake.url, null)
    page = await client.get('/overseerr?q=failure')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('Overseerr is not connected yet')
  })

  it('before Overseerr is added, the search page says what it needs (a 200, nothing in the error log)', async () => {
    await h.host.db('service_configs').where({ service_name: 'overseerr' }).del()
    h.host.app.core.viewerCaches.clear()
    const errorsBefore = await h.host.db('error_logs').count({ n: '*' }).first()
    const { client: person } = await h.host.signedIn()
    const { client: admin } = await h.host.signedIn(await h.host.createUser({ role: 'ADMIN' }))
    for (const path of ['/overseerr', '/overseerr?q=Arrival']) {
      const seen = await person.get(path)
      expect(seen.status, path).to.equal(200)
      expect(seen.text).to.include('an admin has not connected it to MediaNest yet').and.not.include('/admin/services/new')
      const asAdmin = await admin.get(path)
      expect(asAdmin.status, path).to.equal(200)
      expect(asAdmin.text).to.include('href="/admin/services/new?type=overseerr"')
    }
    // An htmx search gets the same words in the results region.
    const fragment = await person.get('/overseerr?q=Arrival', { headers: { 'HX-Request': 'true', 'HX-Request-Type': 'partial' } })
    expect(fragment.status).to.equal(200)
    expect(fragment.text).to.include('id="overseerr-results"').and.include('has not connected it')
    expect(await h.host.db('error_logs').count({ n: '*' }).first()).to.deep.equal(errorsBefore)
  })

  it('a request made while Overseerr is down writes nothing', async () => {
    const tmdbId = addMovie(h.fake, 'Down Request')
    const { client } = await h.host.signedIn()
    await h.fake.down()
    const res = await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    expect(res.status).to.equal(502)
    expect(await requestRow(h.host, tmdbId)).to.equal(undefined)
  })

  it('people see and act on only their own requests; only admins approve', async () => {
    const { row } = await pendingRequest('Private Matter')
    const { client: stranger } = await h.host.signedIn()
    expect((await stranger.get(`/overseerr/requests/${row.id}`)).status).to.equal(404)
    expect((await stranger.get('/overseerr/requests/not-a-uuid')).status).to.equal(404)
    expect((await stranger.post(`/overseerr/requests/${row.id}/retry`, {})).status).to.equal(404)
    expect((await stranger.get('/overseerr/requests')).text).not.to.include('Private Matter')
    expect((await stranger.post(`/admin/overseerr/requests/${row.id}/approve`, {})).status).to.equal(403)
    expect((await stranger.post('/admin/overseerr/bulk', { action: 'approve', ids: row.id })).status).to.equal(403)
    expect((await stranger.get('/admin/overseerr')).status).to.equal(403)
    expect((await h.host.db('media_requests').where({ id: row.id }).first()).status).to.equal('pending')
    expect(await timeline(h.host, row.id)).to.have.length(1)
    expect((await h.admin.client.get(`/overseerr/requests/${row.id}`)).status).to.equal(200)
  })

  it('caps new requests per person per hour', async () => {
    const { client } = await h.host.signedIn()
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      statuses.push((await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(addMovie(h.fake, `Capped ${i}`)) })).status)
    }
    expect(statuses).to.deep.equal([303, 303, 303, 303, 429])
  })

  it('Test connection names Overseerr’s version and the key’s user, or says the key was refused', async () => {
    const row = await h.host.db('service_configs').where({ service_name: 'overseerr' }).first()
    let tested = await h.admin.client.post(`/admin/services/${row.id}/test`, {}, { htmx: true })
    expect(tested.text).to.include('Overseerr 1.33.2 answered and accepted the API key, which acts as admin (admin@example.com)')
    await configureOverseerr(h.host, h.fake.url, 'wrong-key')
    const wrong = await h.host.db('service_configs').where({ service_name: 'overseerr' }).first()
    tested = await h.admin.client.post(`/admin/services/${wrong.id}/test`, {}, { htmx: true })
    expect(tested.text).to.include('the API key was refused (HTTP 403)').and.not.include('wrong-key')
    await h.fake.down()
    tested = await h.admin.client.post(`/admin/services/${wrong.id}/test`, {}, { htmx: true })
    expect(tested.text).to.include('No Overseerr answered at this address')
  })

  it('the admin page shows the webhook address and header to paste into Overseerr', async () => {
    const page = await h.admin.client.get('/admin/overseerr')
    expect(page.text).to.include(`${h.host.url}/overseerr/hooks/overseerr`).and.include('Authorization')
  })

  it('with publicUrl set, the webhook address is the site\'s, not the one the request came in on', async () => {
    const site = await startHarness({}, { publicUrl: 'https://media.example.com' })
    try {
      const page = await site.admin.client.get('/admin/overseerr')
      expect(page.text).to.include('https://media.example.com/overseerr/hooks/overseerr').and.not.include(`${site.host.url}/overseerr/hooks/overseerr`)
    } finally {
      await site.stop()
    }
  })

  it('an approved request whose send never finished is marked failed after an hour, so it can be tried again', async () => {
    const { row } = await pendingRequest('Stuck Send')
    // As if approved an hour ago and its send job died without a word.
    await h.host.db('media_requests').where({ id: row.id }).update({ status: 'approved', updated_at: new Date(Date.now() - 61 * 60_000) })
    const failed = await waitForStatus(h.host, row.id, 'failed')
    expect((await timeline(h.host, failed.id)).at(-1).note).to.include('did not finish within an hour')
  })
})
