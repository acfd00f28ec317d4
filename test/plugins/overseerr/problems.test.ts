// Problem reports (issue 30, part 6): on a title in Plex a person reports video / audio /
// subtitles / other, an optional season and episode, and a message; it is kept in our
// table and created in Overseerr (POST /issue, as that person) by a durable job; admins
// resolve or reopen it on /admin/overseerr/problems, and Overseerr's ISSUE_* webhooks
// and the poll bring its changes back. Bad input and titles not in Plex change nothing.
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { MediaStatus } from '../../support/fake-overseerr.ts'
import { waitFor } from '../../support/wait-for.ts'
import { addMovie, startHarness, WEBHOOK_SECRET, type Harness } from './harness.ts'
import { seen } from './event-spy/seen.ts'

const spy = fileURLToPath(new URL('./event-spy', import.meta.url))
const HOOK = '/overseerr/hooks/overseerr'

describe('overseerr: problem reports', function () {
  this.timeout(90_000)
  let h: Harness
  before(async () => { h = await startHarness({ syncEvery: '1h', problemsPerHour: 50 }, {}, { 'event-spy': { enabled: true, source: spy } }) })
  after(async () => { await h?.stop() })

  const problems = () => h.host.db('media_problems').orderBy('created_at')
  const issuePosts = () => h.fake.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/issue').length
  async function inPlexShow(title: string) {
    const tmdbId = 8000 + Math.floor(Math.random() * 100_000)
    h.fake.addTitle({ mediaType: 'tv', tmdbId, title, year: 2018, seasons: [0, 1, 2].map((n) => ({ seasonNumber: n, episodeCount: 6 })), availability: MediaStatus.PARTIALLY_AVAILABLE })
    return tmdbId
  }
  async function reported(title: string) {
    const tmdbId = addMovie(h.fake, title, { availability: MediaStatus.AVAILABLE })
    const person = await h.host.signedIn()
    const overseerrUser = h.fake.addUser({ email: person.user.email })
    const res = await person.client.post('/overseerr/problems', { mediaType: 'movie', tmdbId: String(tmdbId), problemType: 'audio', message: 'The sound is out of sync after the first hour.' })
    expect(res.status).to.equal(303)
    const row = await waitFor('the report to reach Overseerr', async () => {
      const r = await h.host.db('media_problems').where({ tmdb_id: tmdbId }).first()
      return r?.send_state === 'sent' ? r : undefined
    })
    return { ...person, tmdbId, row, overseerrUser }
  }

  it('reports a problem on a title in Plex: kept here, created in Overseerr as the person, admins told', async () => {
    const { client, tmdbId, row, overseerrUser, user } = await reported('Out Of Sync Film')
    expect(row).to.include({ media_type: 'movie', problem_type: 'audio', status: 'open', season: null, episode: null, message: 'The sound is out of sync after the first hour.' })
    const issue = h.fake.issues().find((i) => i.id === row.overseerr_issue_id)!
    expect(issue).to.include({ issueType: 2, status: 1, message: 'The sound is out of sync after the first hour.', problemSeason: 0, problemEpisode: 0, createdBy: overseerrUser })
    const post = h.fake.requests.filter((r) => r.path === '/api/v1/issue').at(-1)!
    expect(post.headers['x-api-user']).to.equal(String(overseerrUser))
    await waitFor('the reported event', () => seen.find((s) => s.event === 'overseerr.problem.reported' && s.payload.problemId === row.id))
    const event = seen.find((s) => s.event === 'overseerr.problem.reported' && s.payload.problemId === row.id)!
    expect(event.described?.message).to.equal(`${user.name ?? user.email} reported an audio problem with Out Of Sync Film.`)
    const page = await client.get(`/overseerr/movie/${tmdbId}`)
    expect(page.text).to.include('the problem is reported').and.include('Audio').and.include('>Open<')
  })

  it('refuses bad input with a message beside the field (422), the first one focused, writing nothing', async () => {
    const tmdbId = await inPlexShow('Broken Show')
    const { client } = await h.host.signedIn()
    const before = { rows: (await problems()).length, posts: issuePosts() }
    const base = { mediaType: 'tv', tmdbId: String(tmdbId), problemType: 'video', message: 'Green blocks everywhere.' }
    h.fake.setAvailability('tv', tmdbId, MediaStatus.AVAILABLE)
    const cases: Array<[Record<string, string>, string]> = [
      [{ message: 'x'.repeat(10_000) }, 'Keep it to 2,000 characters; this one has 10,000.'],
      [{ message: '   ' }, 'Say what happens, in a few words.'],
      [{ problemType: 'smell' }, 'Choose what is wrong: video, audio, subtitles or other.'],
      [{ season: '9' }, 'Broken Show has no season 9.'],
      [{ season: '0' }, 'The season must be 1 or more.'],
      [{ season: '-2' }, 'The season must be 1 or more.'],
      [{ season: 'two' }, 'The season must be a number.'],
      [{ episode: '3' }, 'Choose the season of this episode, or leave the episode empty.'],
      [{ season: '1', episode: '7' }, 'Season 1 has 6 episodes.'],
      [{ season: '1', episode: '0' }, 'The episode must be 1 or more.'],
    ]
    for (const [change, message] of cases) {
      const res = await client.post('/overseerr/problems', { ...base, ...change }, { htmx: true })
      expect(res.status, JSON.stringify(change).slice(0, 60)).to.equal(422)
      expect(res.text).to.include(message).and.include('id="overseerr-problem-form"').and.include('autofocus').and.include('aria-invalid="true"')
      expect(res.text).not.to.include('<html')
    }
    // Without JavaScript the whole page comes back, the form open with its messages.
    const plain = await client.post('/overseerr/problems', { ...base, message: '' })
    expect(plain.status).to.equal(422)
    expect(plain.text).to.include('Say what happens, in a few words.').and.include('<html').and.include('<details id="overseerr-report" open>')
    // A movie has no seasons (its form has no such field: a hand-made POST).
    const movie = addMovie(h.fake, 'Seasonless Film', { availability: MediaStatus.AVAILABLE })
    const odd = await client.post('/overseerr/problems', { mediaType: 'movie', tmdbId: String(movie), problemType: 'video', season: '1', message: 'x' }, { htmx: true })
    expect(odd.status).to.equal(422)
    expect(odd.text).to.include('A movie has no seasons or episodes.')
    expect((await problems()).length).to.equal(before.rows)
    expect(issuePosts()).to.equal(before.posts)
  })

  it('refuses a report on a title not in Plex (409) and a season not in Plex yet (422)', async () => {
    const tmdbId = addMovie(h.fake, 'Not Here Yet')
    const { client } = await h.host.signedIn()
    const before = (await problems()).length
    const res = await client.post('/overseerr/problems', { mediaType: 'movie', tmdbId: String(tmdbId), problemType: 'video', message: 'It does not play.' }, { htmx: true })
    expect(res.status).to.equal(409)
    expect(res.text).to.include('Not Here Yet is not in Plex, so there is no problem to report')
    const show = await inPlexShow('Half Show')
    const season = await client.post('/overseerr/problems', { mediaType: 'tv', tmdbId: String(show), problemType: 'video', season: '2', message: 'It does not play.' }, { htmx: true })
    expect(season.status).to.equal(422)
    expect(season.text).to.include('Season 2 is not in Plex yet.')
    expect((await problems()).length).to.equal(before)
  })

  it('an admin resolves and reopens a report: Overseerr first, then ours; the reporter hears of the resolve', async () => {
    const { row, user } = await reported('Fixed Film')
    const list = await h.admin.client.get('/admin/overseerr/problems')
    expect(list.text).to.include('Fixed Film').and.include('Audio').and.include(`/admin/overseerr/problems/${row.id}/resolve`)
    const res = await h.admin.client.post(`/admin/overseerr/problems/${row.id}/resolve`, {}, { htmx: true })
    expect(res.status).to.equal(200)
    expect(res.text).to.include('Resolved').and.include(`/admin/overseerr/problems/${row.id}/reopen`)
    expect(h.fake.issues().find((i) => i.id === row.overseerr_issue_id)!.status).to.equal(2)
    expect(await h.host.db('media_problems').where({ id: row.id }).first()).to.include({ status: 'resolved', resolved_by: 'Admin Ada' })
    await waitFor('the resolved event', () => seen.find((s) => s.event === 'overseerr.problem.resolved' && s.payload.problemId === row.id))
    const resolved = seen.filter((s) => s.event === 'overseerr.problem.resolved' && s.payload.problemId === row.id)
    expect(resolved).to.have.length(1)
    expect(resolved[0].payload.userId).to.equal(user.id)
    // Twice is a conflict that changes nothing; a person may not resolve at all.
    expect((await h.admin.client.post(`/admin/overseerr/problems/${row.id}/resolve`, {}, { htmx: true })).status).to.equal(409)
    const person = await h.host.signedIn()
    expect((await person.client.post(`/admin/overseerr/problems/${row.id}/reopen`, {})).status).to.be.oneOf([403, 404])
    const reopened = await h.admin.client.post(`/admin/overseerr/problems/${row.id}/reopen`, {})
    expect(reopened.status).to.equal(303)
    expect(h.fake.issues().find((i) => i.id === row.overseerr_issue_id)!.status).to.equal(1)
    expect((await h.host.db('media_problems').where({ id: row.id }).first()).status).to.equal('open')
  })

  it('with Overseerr down an admin’s resolve changes nothing here', async () => {
    const { row } = await reported('Down Fix Film')
    h.fake.status(500)
    try {
      const res = await h.admin.client.post(`/admin/overseerr/problems/${row.id}/resolve`, {}, { htmx: true })
      expect(res.status).to.equal(502)
      expect((await h.host.db('media_problems').where({ id: row.id }).first()).status).to.equal('open')
    } finally {
      h.fake.status(200)
      await h.fake.recover()
    }
  })

  it('Overseerr’s ISSUE_RESOLVED and ISSUE_REOPENED webhooks move ours; a replay tells nobody twice', async () => {
    const { row } = await reported('Webhook Fix Film')
    const issueId = row.overseerr_issue_id as number
    h.fake.setIssueStatus(issueId, 'resolved')
    const payload = h.fake.issueWebhookPayload('ISSUE_RESOLVED', issueId)
    const sent = await h.fake.sendWebhook(h.host.url + HOOK, { authorization: WEBHOOK_SECRET, payload })
    expect(sent.status).to.equal(202)
    await waitFor('resolved by the webhook', async () => (await h.host.db('media_problems').where({ id: row.id }).first()).status === 'resolved')
    expect((await h.host.db('media_problems').where({ id: row.id }).first()).resolved_by).to.equal('Overseerr (webhook)')
    await h.fake.sendWebhook(h.host.url + HOOK, { authorization: WEBHOOK_SECRET, payload })
    await waitFor('the resolved event', () => seen.find((s) => s.event === 'overseerr.problem.resolved' && s.payload.problemId === row.id))
    expect(seen.filter((s) => s.event === 'overseerr.problem.resolved' && s.payload.problemId === row.id)).to.have.length(1)
    h.fake.setIssueStatus(issueId, 'open')
    await h.fake.sendWebhook(h.host.url + HOOK, { authorization: WEBHOOK_SECRET, payload: h.fake.issueWebhookPayload('ISSUE_REOPENED', issueId) })
    await waitFor('reopened by the webhook', async () => (await h.host.db('media_problems').where({ id: row.id }).first()).status === 'open')
  })

  it('after an Overseerr reset re-used issue ids, a webhook for another title’s issue changes nothing of ours', async () => {
    const { row } = await reported('Old Issue Film')
    h.fake.reset()
    const other = addMovie(h.fake, 'New Issue Film', { availability: MediaStatus.AVAILABLE })
    const mediaId = (await (await fetch(`${h.fake.url}/api/v1/movie/${other}`, { headers: { 'X-Api-Key': h.fake.apiKey } })).json() as { mediaInfo: { id: number } }).mediaInfo.id
    let reused = 0
    while (reused !== row.overseerr_issue_id) {
      const made = await fetch(`${h.fake.url}/api/v1/issue`, { method: 'POST', headers: { 'X-Api-Key': h.fake.apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ issueType: 1, message: 'x', mediaId }) })
      reused = ((await made.json()) as { id: number }).id
    }
    h.fake.setIssueStatus(reused, 'resolved')
    const res = await h.fake.sendWebhook(h.host.url + HOOK, { authorization: WEBHOOK_SECRET, payload: h.fake.issueWebhookPayload('ISSUE_RESOLVED', reused) })
    expect(res.status).to.equal(200)
    expect(JSON.parse(res.body)).to.include({ ignored: true })
    expect((await h.host.db('media_problems').where({ id: row.id }).first()).status).to.equal('open')
  })

  it('a report made while Overseerr is down is kept and sent once it is back', async () => {
    const tmdbId = addMovie(h.fake, 'Patient Report Film', { availability: MediaStatus.AVAILABLE })
    const { client } = await h.host.signedIn()
    // The title page was read while Overseerr was up; it goes down before the job runs.
    h.fake.failPath('/api/v1/issue', 500)
    try {
      const res = await client.post('/overseerr/problems', { mediaType: 'movie', tmdbId: String(tmdbId), problemType: 'other', message: 'Wrong language.' })
      expect(res.status).to.equal(303)
      await waitFor('a failed attempt', () => h.fake.requests.some((r) => r.path === '/api/v1/issue' && r.body.includes('Wrong language')))
      expect((await h.host.db('media_problems').where({ tmdb_id: tmdbId }).first()).send_state).to.equal('sending')
    } finally {
      h.fake.failPath('/api/v1/issue', null)
    }
    await waitFor('the report sent after all', async () => (await h.host.db('media_problems').where({ tmdb_id: tmdbId }).first()).send_state === 'sent', 30_000)
  })
  it('a report resolved here before it reached Overseerr is not sent, and the admin page says why', async () => {
    const tmdbId = addMovie(h.fake, 'Never Sent Film', { availability: MediaStatus.AVAILABLE })
    const { client } = await h.host.signedIn()
    const issuesBefore = h.fake.issues().length
    h.fake.failPath('/api/v1/issue', 500)
    let row: { id: string }
    try {
      await client.post('/overseerr/problems', { mediaType: 'movie', tmdbId: String(tmdbId), problemType: 'video', message: 'Black screen.' })
      row = await h.host.db('media_problems').where({ tmdb_id: tmdbId }).first()
      // Resolved while the report waits to be tried again, not while its first send is on
      // the wire: on a loaded machine that first send could otherwise start before the
      // resolve and finish after Overseerr came back (CI saw it "sent").
      await waitFor('a failed attempt', () => h.fake.requests.some((r) => r.path === '/api/v1/issue' && r.body.includes('Black screen')))
      expect((await h.admin.client.post(`/admin/overseerr/problems/${row.id}/resolve`, {})).status).to.equal(303)
    } finally {
      h.fake.failPath('/api/v1/issue', null)
    }
    // Failed once under CI's full load on PostgreSQL (still "sending" after 30 s): the wait is
    // longer, and a timeout now says where the row and its job were.
    const unsent = await waitFor('the job to give up on it', async () => {
      const r = await h.host.db('media_problems').where({ id: row.id }).first()
      return r.send_state === 'failed' ? r : undefined
    }, 60_000).catch(async (error: Error) => {
      const r = await h.host.db('media_problems').where({ id: row.id }).first()
      const jobs = await h.host.db('jobs').where({ name: 'overseerr.report' }).select('status', 'attempts', 'max_attempts', 'run_at', 'last_error')
      throw new Error(`${error.message}; the row: ${JSON.stringify({ status: r.status, send_state: r.send_state, send_error: r.send_error })}; report jobs: ${JSON.stringify(jobs)}`)
    })
    expect(unsent).to.include({ status: 'resolved', send_error: 'Resolved here before it reached Overseerr, so it was not sent.' })
    expect(h.fake.issues().length).to.equal(issuesBefore)
    expect((await h.admin.client.get('/admin/overseerr/problems?status=resolved')).text).to.include('Resolved here before it reached Overseerr')
  })
})

describe('overseerr: problem reports followed by the poll', function () {
  this.timeout(60_000)
  let h: Harness
  before(async () => { h = await startHarness({ syncEvery: '1s' }) })
  after(async () => { await h?.stop() })

  it('resolves ours when Overseerr resolved it, with no webhook at all', async () => {
    const tmdbId = addMovie(h.fake, 'Polled Problem Film', { availability: MediaStatus.AVAILABLE })
    const { client } = await h.host.signedIn()
    await client.post('/overseerr/problems', { mediaType: 'movie', tmdbId: String(tmdbId), problemType: 'subtitles', message: 'Subtitles are a second late.' })
    const row = await waitFor('sent', async () => {
      const r = await h.host.db('media_problems').where({ tmdb_id: tmdbId }).first()
      return r?.send_state === 'sent' ? r : undefined
    })
    h.fake.setIssueStatus(row.overseerr_issue_id, 'resolved')
    await waitFor('resolved by the poll', async () => (await h.host.db('media_problems').where({ id: row.id }).first()).status === 'resolved', 20_000)
    expect((await h.host.db('media_problems').where({ id: row.id }).first()).resolved_by).to.equal('Overseerr (status sync)')
  })
})
