// The pages (issue 20, part 6): "my requests" with filters and keyset pages, the request's
// page, the dashboard card, the nav entry, and the live badge change on the page's stream.
import { expect } from 'chai'
import { SseClient } from '../../support/sse-client.ts'
import { onPostgres } from '../../support/test-db.ts'
import { startTestHost } from '../../support/test-host.ts'
import { addMovie, addShow, requestRow, startHarness, waitForStatus, WEBHOOK_SECRET, type Harness } from './harness.ts'

describe('overseerr: my requests, the dashboard card and live status', function () {
  this.timeout(90_000)
  let h: Harness
  // The site's zone named, so dates read the same on any machine.
  before(async () => { h = await startHarness({ syncEvery: '1h' }, { timeZone: 'UTC' }) })
  after(async () => { await h?.stop() })

  it('lists only my requests, newest first, filtered by status and type, in keyset pages', async () => {
    const { client, user } = await h.host.signedIn()
    const other = await h.host.createUser()
    // 30 of mine (spread in time), a show, and someone else's.
    const base = Date.now() - 100_000
    const rows = Array.from({ length: 30 }, (_, i) => ({
      user_id: user.id, title: `Listed ${String(i).padStart(2, '0')}`, media_type: 'movie', tmdb_id: 500_000 + i, status: i % 3 === 0 ? 'completed' : 'pending',
      created_at: new Date(base + i * 1000),
    }))
    await h.host.db('media_requests').insert(rows)
    await h.host.db('media_requests').insert({ user_id: user.id, title: 'Listed Show', media_type: 'tv', tmdb_id: 600_000, status: 'pending', created_at: new Date(base + 50_000) })
    await h.host.db('media_requests').insert({ user_id: other.id, title: 'Not Mine', media_type: 'movie', tmdb_id: 600_001, status: 'pending' })

    const first = await client.get('/overseerr/requests')
    expect(first.text).to.include('Listed Show').and.include('Listed 29').and.not.include('Not Mine')
    expect(first.text.indexOf('Listed Show')).to.be.lessThan(first.text.indexOf('Listed 29'))
    const next = /href="(\/overseerr\/requests\?[^"]*after=[^"]+)"/.exec(first.text)![1].replace(/&amp;/g, '&')
    const second = await client.get(next, { htmx: true })
    expect(second.text).to.match(/^<section class="card" id="overseerr-requests-list"/)
    expect(second.text).to.include('Listed 05').and.include('Listed 00').and.include('First page')
    expect(second.text).not.to.include('Listed 06')

    const done = await client.get('/overseerr/requests?status=completed&type=movie')
    expect(done.text).to.include('Listed 27').and.not.include('Listed 28').and.not.include('Listed Show')
    const shows = await client.get('/overseerr/requests?status=&type=tv')
    expect(shows.text).to.include('Listed Show').and.not.include('Listed 29')
    expect((await client.get('/overseerr/requests?status=bogus')).status).to.equal(422)
    expect((await client.get('/overseerr/requests?after=garbage')).status).to.equal(422)
  })

  it('the dashboard card shows my five latest requests, and admins the approval count; the nav links to search', async () => {
    const { client } = await h.host.signedIn()
    for (let i = 0; i < 6; i++) await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(addMovie(h.fake, `Card ${i}`)) })
    const dash = await client.get('/')
    expect(dash.text).to.include('href="/overseerr"')
    expect(dash.text).to.include('overseerr-widget-requests')
    const card = await client.get('/widgets/overseerr/requests', { htmx: true })
    expect(card.status, card.text.slice(0, 300)).to.equal(200)
    expect(card.text).to.include('Card 5').and.include('Card 1').and.not.include('Card 0').and.not.include('wait for approval')
    const adminCard = await h.admin.client.get('/widgets/overseerr/requests', { htmx: true })
    const pending = Number((await h.host.db('media_requests').where({ status: 'pending' }).count({ n: '*' }))[0].n)
    expect(adminCard.text).to.include(`<strong id="overseerr-widget-pending">${pending}</strong>`)
  })

  it('keeps my first page per person (no query once warm); a change through any process shows at once', async () => {
    // On PostgreSQL a second process on the same database: its copy is dropped by the first's NOTIFY.
    const second = onPostgres ? await startTestHost({ database: h.host.database, plugins: { overseerr: { enabled: true, config: { syncEvery: '1h' } } } }) : null
    try {
      const { client, user } = await h.host.signedIn()
      const elsewhere = second ? (await second.signedIn(user)).client : client
      const tmdbId = addMovie(h.fake, 'Cached Arrival')
      await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
      const badgeOf = (html: string) => /Cached Arrival[\s\S]*?class="badge[^"]*"[^>]*>([^<]+)</.exec(html)?.[1]
      for (const c of [client, elsewhere]) expect(badgeOf((await c.get('/overseerr/requests')).text)).to.equal('Waiting for approval')

      const reads = { n: 0 }
      const onQuery = (q: { sql: string }) => { if (/from "media_requests"/.test(q.sql)) reads.n += 1 }
      const db = (second ?? h.host).db
      db.on('query', onQuery)
      try {
        await elsewhere.get('/overseerr/requests')
        await elsewhere.get('/widgets/overseerr/requests', { htmx: true })
      } finally {
        db.off('query', onQuery)
      }
      expect(reads.n, 'a warm "my requests" and dashboard card').to.equal(0)

      const row = await requestRow(h.host, tmdbId)
      expect((await h.admin.client.post(`/admin/overseerr/requests/${row.id}/reject`, { reason: 'Not this one' }, { htmx: true })).status).to.equal(200)
      for (const c of [client, elsewhere]) {
        expect(badgeOf((await c.get('/overseerr/requests')).text)).to.equal('Rejected')
        expect((await c.get('/widgets/overseerr/requests', { htmx: true })).text).to.match(/Cached Arrival[\s\S]*?Rejected/)
      }
      // A filtered view reads the table, and agrees.
      expect((await elsewhere.get('/overseerr/requests?status=rejected')).text).to.include('Cached Arrival')
    } finally {
      await second?.stop()
    }
  })

  it('pushes the new badge, and the request page’s timeline with the new step, to the requester’s open pages', async () => {
    const tmdbId = addShow(h.fake, 'Live Show')
    const { client } = await h.host.signedIn()
    await client.post('/overseerr/requests', { mediaType: 'tv', tmdbId: String(tmdbId), seasonChoice: 'all' })
    const row = await requestRow(h.host, tmdbId)
    const stream = await SseClient.open(h.host.url, { Cookie: client.cookieHeader() })
    try {
      await h.admin.client.post(`/admin/overseerr/requests/${row.id}/approve`, {})
      const sent = await waitForStatus(h.host, row.id, 'in_progress')
      h.fake.moveRequest(sent.overseerr_id, 'available')
      await h.fake.sendWebhook(`${h.host.url}/overseerr/hooks/overseerr`, { authorization: WEBHOOK_SECRET, payload: h.fake.webhookPayload('MEDIA_AVAILABLE', sent.overseerr_id) })
      await stream.waitFor('the completed badge', (t) => t.includes(`hx-target="#overseerr-request-${row.id}-status"`) && t.includes('Available in Plex'), 15_000)
      await stream.waitFor('the timeline with its last step', (t) => t.includes(`hx-target="#overseerr-request-${row.id}-timeline"`) && /→ Available in Plex<\/strong>\s*(data:\s*)?<small class="muted"><time datetime="[^"]+" data-style="datetime">[^<]*<\/time>, by Overseerr \(webhook\)/.test(t), 15_000)
    } finally {
      await stream.close()
    }
  })

  it('writes a request\'s dates in the viewer\'s own zone (New York), on its page, in the list and in the admin queue', async () => {
    const { client, user } = await h.host.signedIn(await h.host.createUser({ time_zone: 'America/New_York' }))
    const [row] = await h.host.db('media_requests').insert({
      user_id: user.id, title: 'Zoned Arrival', media_type: 'movie', tmdb_id: 990_100, status: 'completed',
      created_at: new Date('2026-07-04T16:05:00Z'), completed_at: new Date('2026-07-05T03:30:00Z'),
    }).returning('*')
    await h.host.db('media_request_timeline').insert({ request_id: row.id, at: new Date('2026-07-04T16:05:00Z'), actor: 'Zoned Person', to_status: 'pending' })
    const requested = '<time datetime="2026-07-04T16:05:00.000Z" data-style="datetime">4 Jul 2026, 12:05 GMT-4</time>'
    const page = (await client.get(`/overseerr/requests/${row.id}`)).text
    expect(page).to.include(`<dd>${requested}</dd>`)
    // Half past three in the morning in UTC is still the evening before in New York.
    expect(page).to.include('<time datetime="2026-07-05T03:30:00.000Z" data-style="datetime">4 Jul 2026, 23:30 GMT-4</time>')
    expect(page).to.include(`${requested}, by Zoned Person`)
    expect(page).not.to.include('16:05 UTC')
    // The cached first page is written for the zone its reader reads in, and again when they choose another.
    expect((await client.get('/overseerr/requests')).text).to.include(requested)
    expect((await client.post('/account', { name: '', image: '', time_zone: 'Asia/Kolkata' })).status).to.equal(303)
    expect((await client.get('/overseerr/requests')).text).to.include('<time datetime="2026-07-04T16:05:00.000Z" data-style="datetime">4 Jul 2026, 21:35 GMT+5:30</time>')
    // An admin who chose none reads the site's zone.
    expect((await h.admin.client.get('/admin/overseerr?status=completed&type=movie')).text).to.include('<time datetime="2026-07-04T16:05:00.000Z" data-style="datetime">4 Jul 2026, 16:05 UTC</time>')
  })

  it('shows a hostile title escaped on every page that lists it (stored XSS)', async () => {
    const tmdbId = 990_002
    h.fake.addTitle({ mediaType: 'movie', tmdbId, title: '<script>alert(1)</script>"><img src=x onerror=alert(2)>', year: 2020 })
    const { client } = await h.host.signedIn()
    await client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(tmdbId) })
    const row = await requestRow(h.host, tmdbId)
    expect(row.title).to.include('<script>')
    const pages = [
      await client.get('/overseerr/requests'), await client.get(`/overseerr/requests/${row.id}`),
      await client.get('/widgets/overseerr/requests', { htmx: true }), await h.admin.client.get('/admin/overseerr'),
    ]
    for (const page of pages) {
      expect(page.status).to.equal(200)
      expect(page.text).not.to.include('<script>alert(1)')
      expect(page.text).not.to.include('<img src=x')
      expect(page.text).to.include('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;')
    }
  })

  it('the queue’s pending count refreshes itself when a request changes', async () => {
    const page = await h.admin.client.get('/admin/overseerr')
    expect(page.text).to.include('hx-trigger="overseerr-queue-changed from:body"')
    const count = await h.admin.client.get('/admin/overseerr/pending-count', { htmx: true })
    const pending = Number((await h.host.db('media_requests').where({ status: 'pending' }).count({ n: '*' }))[0].n)
    expect(count.text).to.equal(String(pending))
  })
})
