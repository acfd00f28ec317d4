// Following a request to the end (issue 20, parts 4, 5 and 7): Overseerr's webhook drives
// it to completed (refused without the secret, harmless on replay or for unknown titles),
// the events carry the request and the requester, and the timeline records each step.
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import { addMovie, requestRow, startHarness, timeline, waitForStatus, WEBHOOK_SECRET, type Harness } from './harness.ts'
import { seen } from './event-spy/seen.ts'

const spy = fileURLToPath(new URL('./event-spy', import.meta.url))

describe('overseerr: the webhook follows a request to "available in Plex"', function () {
  this.timeout(90_000)
  let h: Harness
  let hook: string
  before(async () => {
    h = await startHarness({ syncEvery: '1h' }, {}, { 'event-spy': { enabled: true, source: spy } })
    hook = `${h.host.url}/overseerr/hooks/overseerr`
  })
  after(async () => { await h?.stop() })

  /** A user's request, approved by the admin and sent; returns our row and Overseerr's id. */
  async function sentRequest(title: string) {
    const tmdbId = addMovie(h.fake, title)
    const { client, user } = await h.host.signedIn()
    await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    const row = await requestRow(h.host, tmdbId)
    await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
    const sent = await waitForStatus(h.host, row.id, 'in_progress')
    return { row: sent, client, user, overseerrId: sent.overseerr_id as number }
  }
  const deliver = (type: Parameters<Harness['fake']['webhookPayload']>[0], id: number, authorization: string | undefined = WEBHOOK_SECRET) =>
    h.fake.sendWebhook(hook, { authorization, payload: h.fake.webhookPayload(type, id) })

  it('moves in_progress → downloading → processing → completed, each step in the timeline, and says so in events', async () => {
    const { row, user, overseerrId, client } = await sentRequest('Webhook Journey')
    h.fake.moveRequest(overseerrId, 'downloading')
    expect((await deliver('MEDIA_APPROVED', overseerrId)).status).to.equal(202)
    await waitForStatus(h.host, row.id, 'downloading')
    h.fake.moveRequest(overseerrId, 'downloading', [{ status: 'completed', sizeLeft: 0 }])
    await deliver('MEDIA_AUTO_APPROVED', overseerrId)
    await waitForStatus(h.host, row.id, 'processing')
    h.fake.moveRequest(overseerrId, 'available')
    await deliver('MEDIA_AVAILABLE', overseerrId)
    const done = await waitForStatus(h.host, row.id, 'completed')
    expect(done.completed_at).to.be.an.instanceOf(Date)
    const steps = await timeline(h.host, row.id)
    expect(steps.map((t) => t.to_status)).to.deep.equal(['pending', 'approved', 'in_progress', 'downloading', 'processing', 'completed'])
    expect(steps.at(-1)!.actor).to.equal('Overseerr (webhook)')
    const page = await client.get(`/overseerr/requests/${row.id}`)
    expect(page.text.indexOf('Processing → Available in Plex')).to.be.greaterThan(0)
    expect(page.text.indexOf('Processing → Available in Plex')).to.be.lessThan(page.text.indexOf('Waiting for approval → Approved'))

    await waitFor('the completed event', () => seen.find((s) => s.event === 'overseerr.request.completed' && s.payload.requestId === row.id))
    const completed = seen.find((s) => s.event === 'overseerr.request.completed' && s.payload.requestId === row.id)!
    expect(completed.payload).to.include({ userId: user.id, title: 'Webhook Journey', mediaType: 'movie' })
    expect(completed.described).to.deep.equal({ title: 'Available in Plex', message: 'Webhook Journey, which you requested, is now available in Plex.', link: `/overseerr/requests/${row.id}` })
    const created = seen.find((s) => s.event === 'overseerr.request.created' && s.payload.requestId === row.id)!
    expect(created.payload.needsApproval).to.equal(true)
    expect(seen.some((s) => s.event === 'overseerr.request.approved' && s.payload.requestId === row.id && s.payload.userId === user.id)).to.equal(true)
  })

  it('after Overseerr is reset and reuses an id, a delivery for its new request leaves our older one alone', async () => {
    h.fake.reset()
    const older = await sentRequest('Before The Reset')
    h.fake.reset()
    const newer = await sentRequest('After The Reset')
    expect(newer.overseerrId).to.equal(older.overseerrId)
    h.fake.moveRequest(newer.overseerrId, 'available')
    const answer = await deliver('MEDIA_AVAILABLE', newer.overseerrId)
    expect(JSON.parse(answer.body)).to.include({ queued: 1 })
    await waitForStatus(h.host, newer.row.id, 'completed')
    expect((await h.host.db('media_requests').where({ id: older.row.id }).first()).status).to.equal('in_progress')
    expect(seen.some((s) => s.event === 'overseerr.request.completed' && s.payload.requestId === older.row.id)).to.equal(false)

    // A late delivery for the older title gets its row read again: #N there is another
    // title now, so the older request is lost in Overseerr, not "available".
    const late = h.fake.webhookPayload('MEDIA_APPROVED', older.overseerrId) as { media: { tmdbId: string } }
    late.media.tmdbId = String(older.row.tmdb_id)
    expect(JSON.parse((await h.fake.sendWebhook(hook, { authorization: WEBHOOK_SECRET, payload: late })).body)).to.include({ queued: 1 })
    const lost = await waitForStatus(h.host, older.row.id, 'failed')
    expect(lost.completed_at).to.equal(null)
    expect((await timeline(h.host, older.row.id)).at(-1)!.note).to.include('now names another title')
  })

  it('a replayed or late delivery changes nothing', async () => {
    const { row, overseerrId } = await sentRequest('Replayed')
    h.fake.moveRequest(overseerrId, 'available')
    const first = h.fake.webhookPayload('MEDIA_AVAILABLE', overseerrId)
    await h.fake.sendWebhook(hook, { authorization: WEBHOOK_SECRET, payload: first })
    await waitForStatus(h.host, row.id, 'completed')
    // A replay finds the request finished: nothing to read, nothing moves. (Deliveries are
    // not deduplicated by their body: a show's seasons arriving one by one send the same one.)
    const replay = await h.fake.sendWebhook(hook, { authorization: WEBHOOK_SECRET, payload: first })
    expect(replay.status).to.equal(200)
    expect(JSON.parse(replay.body)).to.include({ ignored: true })
    // A late "approved" (Overseerr's queue is not ordered) finds the request already done.
    h.fake.moveRequest(overseerrId, 'processing')
    const late = await deliver('MEDIA_APPROVED', overseerrId)
    expect(late.status).to.equal(200)
    expect((await h.host.db('media_requests').where({ id: row.id }).first()).status).to.equal('completed')
    expect(await timeline(h.host, row.id)).to.have.length(4)
  })

  it('refuses a delivery without the secret, or with a wrong one, and changes nothing', async () => {
    const { row, overseerrId } = await sentRequest('Unsigned')
    h.fake.moveRequest(overseerrId, 'available')
    expect((await h.fake.sendWebhook(hook, { payload: h.fake.webhookPayload('MEDIA_AVAILABLE', overseerrId) })).status).to.equal(401)
    expect((await deliver('MEDIA_AVAILABLE', overseerrId, 'not-the-secret')).status).to.equal(401)
    expect((await h.host.db('media_requests').where({ id: row.id }).first()).status).to.equal('in_progress')
  })

  it('answers test notifications, unknown requests and odd bodies with 2xx and does nothing', async () => {
    const before = Number((await h.host.db('media_request_timeline').count({ n: '*' }))[0].n)
    expect((await h.fake.sendWebhook(hook, { authorization: WEBHOOK_SECRET, payload: h.fake.webhookPayload('TEST_NOTIFICATION') })).status).to.equal(200)
    const stranger = await h.fake.sendWebhook(hook, { authorization: WEBHOOK_SECRET, payload: { notification_type: 'MEDIA_AVAILABLE', request: { request_id: '999999' }, media: { media_type: 'movie', tmdbId: '1' } } })
    expect(stranger.status).to.equal(200)
    expect(JSON.parse(stranger.body)).to.include({ ignored: true })
    for (const payload of [[1, 2, 3], { request: 'x', media: 7 }, 'null']) {
      expect((await h.fake.sendWebhook(hook, { authorization: WEBHOOK_SECRET, payload })).status).to.be.within(200, 299)
    }
    expect((await h.fake.sendWebhook(hook, { authorization: WEBHOOK_SECRET, payload: '{not json' })).status).to.equal(400)
    expect(Number((await h.host.db('media_request_timeline').count({ n: '*' }))[0].n)).to.equal(before)
  })

  it('a request declined or failed in Overseerr is rejected or failed here, and the requester can retry a failed one', async () => {
    const a = await sentRequest('Declined There')
    h.fake.moveRequest(a.overseerrId, 'declined')
    await deliver('MEDIA_DECLINED', a.overseerrId)
    await waitForStatus(h.host, a.row.id, 'rejected')

    const b = await sentRequest('Failed There')
    h.fake.moveRequest(b.overseerrId, 'failed')
    await deliver('MEDIA_FAILED', b.overseerrId)
    await waitForStatus(h.host, b.row.id, 'failed')
    await waitFor('the failed event', () => seen.find((s) => s.event === 'overseerr.request.failed' && s.payload.requestId === b.row.id))
    const page = await b.client.get(`/overseerr/requests/${b.row.id}`)
    expect(page.text).to.include('Try again')
    const retried = await b.client.post(`/overseerr/requests/${b.row.id}/retry`, {})
    expect(retried.status).to.equal(303)
    const back = await h.host.db('media_requests').where({ id: b.row.id }).first()
    expect(back).to.include({ status: 'pending', overseerr_id: null })
    expect((await timeline(h.host, b.row.id)).at(-1)).to.include({ from_status: 'failed', to_status: 'pending', actor_user_id: b.user.id })
    expect((await b.client.post(`/overseerr/requests/${b.row.id}/retry`, {})).status).to.equal(409)
  })
})
