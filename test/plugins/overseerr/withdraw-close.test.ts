// Withdrawing and closing (issue 30, part 2): the requester withdraws a request that still
// waits (here, or in Overseerr, which is then asked to DELETE it); an admin closes any open
// request with a reason, deleting Overseerr's or leaving it. Someone else's request, a race
// with an approval, an empty reason and Overseerr being down all change nothing.
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { waitFor } from '../../support/wait-for.ts'
import { addMovie, requestRow, startHarness, timeline, waitForStatus, type Harness } from './harness.ts'
import { seen } from './event-spy/seen.ts'

const spy = fileURLToPath(new URL('./event-spy', import.meta.url))

describe('overseerr: withdrawing and closing a request', function () {
  this.timeout(60_000)
  let h: Harness
  before(async () => { h = await startHarness({ syncEvery: '1h' }, {}, { 'event-spy': { enabled: true, source: spy } }) })
  after(async () => { await h?.stop() })

  async function pending(title: string) {
    const tmdbId = addMovie(h.fake, title)
    const person = await h.host.signedIn()
    await person.client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    return { ...person, tmdbId, row: await requestRow(h.host, tmdbId) }
  }
  async function sent(title: string) {
    const p = await pending(title)
    await h.admin.client.post(`/admin/overseerr/requests/${p.row.id}/approve`, {})
    const row = await waitForStatus(h.host, p.row.id, 'in_progress')
    return { ...p, row, overseerrId: row.overseerr_id as number }
  }
  const deletes = (id: number) => h.fake.requests.filter((r) => r.method === 'DELETE' && r.path === `/api/v1/request/${id}`).length

  it('the requester withdraws a waiting request: the timeline and the admins hear of it, and it can be asked again', async () => {
    const { client, row, tmdbId } = await pending('Withdrawn Film')
    const page = await client.get(`/overseerr/requests/${row.id}`)
    expect(page.text).to.include('Withdraw this request').and.not.include('Close this request')
    const res = await client.post(`/overseerr/requests/${row.id}/withdraw`, {}, { htmx: true })
    expect(res.status).to.equal(200)
    expect(res.text).to.include('Withdrawn. You can ask for it again').and.include('autofocus').and.include('>Withdrawn<')
    expect((await requestRow(h.host, tmdbId)).status).to.equal('withdrawn')
    expect((await timeline(h.host, row.id)).at(-1)).to.include({ from_status: 'pending', to_status: 'withdrawn', note: 'Withdrawn by the person who asked.' })
    await waitFor('the withdrawn event', () => seen.some((s) => s.event === 'overseerr.request.withdrawn' && s.payload.requestId === row.id))
    // Not open any more: the title can be requested again.
    expect((await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })).status).to.equal(303)
  })

  it('refuses to withdraw someone else’s request (404) and a request an admin approved first (409), changing nothing', async () => {
    const { row } = await pending('Not Yours')
    const stranger = await h.host.signedIn()
    expect((await stranger.client.post(`/overseerr/requests/${row.id}/withdraw`, {})).status).to.equal(404)
    expect((await requestRow(h.host, row.tmdb_id!)).status).to.equal('pending')

    const raced = await pending('Raced Film')
    await h.admin.client.post(`/admin/overseerr/requests/${raced.row.id}/approve`, {})
    await waitForStatus(h.host, raced.row.id, 'in_progress')
    const steps = (await timeline(h.host, raced.row.id)).length
    const late = await raced.client.post(`/overseerr/requests/${raced.row.id}/withdraw`, {}, { htmx: true })
    expect(late.status).to.equal(409)
    expect(late.text).to.include('Overseerr is already working on this request')
    expect((await requestRow(h.host, raced.tmdbId)).status).to.equal('in_progress')
    expect(await timeline(h.host, raced.row.id)).to.have.length(steps)
  })

  it('withdraws a sent request still pending in Overseerr by deleting it there', async () => {
    const { client, row, overseerrId } = await sent('Pending There')
    h.fake.moveRequest(overseerrId, 'pending')
    const res = await client.post(`/overseerr/requests/${row.id}/withdraw`, {})
    expect(res.status).to.equal(303)
    expect(deletes(overseerrId)).to.equal(1)
    const now = await requestRow(h.host, row.tmdb_id!)
    expect(now.status).to.equal('withdrawn')
    expect((await timeline(h.host, row.id)).at(-1)!.note).to.include(`Overseerr's request #${overseerrId} was deleted`)
  })

  it('an admin closes an open request with a reason, deleting it in Overseerr; the requester is told why', async () => {
    const { client, row, overseerrId } = await sent('Closed Film')
    const page = await h.admin.client.get(`/overseerr/requests/${row.id}`)
    expect(page.text).to.include('Close this request').and.include(`Also delete request #${overseerrId} in Overseerr`)
    expect((await client.get(`/overseerr/requests/${row.id}`)).text).not.to.include('Close this request')
    expect((await client.post(`/admin/overseerr/requests/${row.id}/close`, { reason: 'x', deleteThere: '1' })).status).to.equal(403)

    const empty = await h.admin.client.post(`/admin/overseerr/requests/${row.id}/close`, { reason: '  ', deleteThere: '1' }, { htmx: true })
    expect(empty.status).to.equal(422)
    expect(empty.text).to.include('Say why').and.include('aria-invalid="true"')
    expect(deletes(overseerrId)).to.equal(0)
    expect((await requestRow(h.host, row.tmdb_id!)).status).to.equal('in_progress')

    const res = await h.admin.client.post(`/admin/overseerr/requests/${row.id}/close`, { reason: 'It left every service.', deleteThere: '1' }, { htmx: true })
    expect(res.status).to.equal(200)
    expect(res.text).to.include('Closed: the timeline says who and why.')
    expect(deletes(overseerrId)).to.equal(1)
    expect((await requestRow(h.host, row.tmdb_id!)).status).to.equal('closed')
    expect((await timeline(h.host, row.id)).at(-1)).to.include({ to_status: 'closed', actor: 'Admin Ada', note: `It left every service. (Overseerr's request #${overseerrId} was deleted.)` })
    await waitFor('the closed event', () => seen.some((s) => s.event === 'overseerr.request.closed' && s.payload.requestId === row.id && s.payload.reason === 'It left every service.'))
    const again = await h.admin.client.post(`/admin/overseerr/requests/${row.id}/close`, { reason: 'Twice' }, { htmx: true })
    expect(again.status).to.equal(409)
  })

  it('closes and leaves Overseerr’s request when asked; with Overseerr down and asked to delete, nothing changes', async () => {
    const kept = await sent('Kept There')
    expect((await h.admin.client.post(`/admin/overseerr/requests/${kept.row.id}/close`, { reason: 'Duplicate of another.' })).status).to.equal(303)
    expect(deletes(kept.overseerrId)).to.equal(0)
    expect((await timeline(h.host, kept.row.id)).at(-1)!.note).to.include('was left as it is')

    const down = await sent('Down There')
    await h.fake.down()
    try {
      const res = await h.admin.client.post(`/admin/overseerr/requests/${down.row.id}/close`, { reason: 'Gone', deleteThere: '1' }, { htmx: true })
      expect(res.status).to.be.at.least(500)
      expect((await requestRow(h.host, down.tmdbId)).status).to.equal('in_progress')
    } finally {
      await h.fake.recover()
    }
  })
})
