// The fake Overseerr must be as strict as the real one (CONTRACTS.md "Overseerr API v1"),
// or the overseerr plugin's tests would pass against a kinder service than users run.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import { encodeRfc3986 } from '../../core/upstream.ts'
import { MediaStatus, RequestStatus, startFakeOverseerr, type FakeOverseerr } from '../support/fake-overseerr.ts'

describe('fake Overseerr: the contract its plugin is tested against', function () {
  this.timeout(20_000)
  let fake: FakeOverseerr

  const call = async (path: string, init: { method?: string; key?: string | null; user?: number; body?: unknown } = {}) => {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (init.key !== null) headers['X-Api-Key'] = init.key ?? fake.apiKey
    if (init.user !== undefined) headers['X-API-User'] = String(init.user)
    if (init.body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(`${fake.url}/api/v1${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) })
    const text = await res.text()
    return { status: res.status, json: text ? JSON.parse(text) : null }
  }

  // URL parsing (so fetch) percent-encodes ' itself, and fetch pools connections: node:http with a
  // plain path sends the bytes we write, on a fresh socket.
  const rawGet = (path: string, headers: Record<string, string> = { 'X-Api-Key': fake.apiKey }) => new Promise<{ status: number; json: any }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: new URL(fake.url).port, path, headers, agent: false }, (res) => {
      let text = ''
      res.on('data', (c) => { text += c })
      res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : null }))
    }).on('error', reject)
  })

  beforeEach(async () => {
    fake = await startFakeOverseerr()
    fake.addTitle({ mediaType: 'movie', tmdbId: 603, title: 'The Matrix', year: 1999, poster: '/matrix.jpg' })
    fake.addTitle({ mediaType: 'movie', tmdbId: 604, title: 'The Matrix Reloaded', year: 2003, availability: MediaStatus.AVAILABLE })
    fake.addTitle({ mediaType: 'tv', tmdbId: 1399, title: 'Game of Thrones', year: 2011, tvdbId: 121361,
      seasons: [{ seasonNumber: 1, episodeCount: 10 }, { seasonNumber: 2, episodeCount: 10 }, { seasonNumber: 3, episodeCount: 10 }] })
  })
  afterEach(() => fake.close())

  describe('gatekeeping', () => {
    it('answers /status without a key, and says which version it is', async () => {
      const res = await call('/status', { key: null })
      expect(res.status).to.equal(200)
      expect(res.json).to.include({ version: '1.33.2', updateAvailable: false })
    })

    it('answers 401 with the cookie message when the key is missing, 403 when it is wrong', async () => {
      expect(await call('/auth/me', { key: null })).to.deep.equal({ status: 401, json: { message: "cookie 'connect.sid' required" } })
      expect((await call('/auth/me', { key: 'not-the-key' })).status).to.equal(403)
      const me = await call('/auth/me')
      expect(me.status).to.equal(200)
      expect(me.json).to.include({ id: 1, email: 'admin@example.com' })
    })

    it('acts as the user named in X-API-User, and refuses a user it does not know', async () => {
      const alice = fake.addUser({ email: 'alice@example.com', plexId: 12345, plexUsername: 'alice' })
      expect((await call('/auth/me', { user: alice })).json).to.include({ id: alice, email: 'alice@example.com', plexId: 12345 })
      expect((await call('/auth/me', { user: 999 })).status).to.equal(403)
    })

    it('refuses unknown query parameters with 400, even on a wrong key (validation runs first)', async () => {
      const res = await call('/search?query=matrix&limit=5')
      expect(res.status).to.equal(400)
      expect(res.json.message).to.equal("Unknown query parameter 'limit'")
      expect((await call('/search?query=matrix&limit=5', { key: 'wrong' })).status).to.equal(400)
      expect((await call('/search?query=matrix&limit=5', { key: null })).status).to.equal(401)
      expect((await call('/user?take=10&skip=0&sort=created')).status).to.equal(400)
    })

    it('refuses ( ) ! * \' and + left raw in a value; accepts them percent-encoded', async () => {
      for (const raw of ['matrix(1999)', 'matrix!', 'mat*rix', "matrix's", 'the+matrix']) {
        const res = await rawGet(`/api/v1/search?query=${raw}&page=1&language=en`)
        expect(res.status, raw).to.equal(400)
        expect(res.json.message).to.match(/must be url encoded/)
      }
      // encodeURIComponent alone leaves ( ) ! * ' raw: the 400 a real client would meet.
      expect((await call(`/search?query=${encodeURIComponent("matrix (1999)'s!")}`)).status).to.equal(400)
      const ok = await call(`/search?query=${encodeRfc3986('The Matrix')}&page=1&language=en`)
      expect(ok.status).to.equal(200)
      expect((await call(`/search?query=${encodeRfc3986("matrix (1999)'s!")}`)).status).to.equal(200)
    })

    it('checks value types and enums like the OpenAPI validator', async () => {
      expect((await call('/search?page=1')).status, 'query is required').to.equal(400)
      expect((await call('/request?take=ten')).status).to.equal(400)
      expect((await call('/request?filter=everything')).status).to.equal(400)
      expect((await call('/request?take=20&skip=0&filter=all&sort=added')).status).to.equal(200)
    })
  })

  describe('titles', () => {
    it('searches with mediaInfo only on titles Overseerr already knows, and no requests inside', async () => {
      const res = await call(`/search?query=${encodeRfc3986('matrix')}&page=1&language=en`)
      expect(res.json).to.include({ page: 1, totalPages: 1, totalResults: 2 })
      const [first, second] = res.json.results
      expect(first).to.include({ id: 603, mediaType: 'movie', title: 'The Matrix', releaseDate: '1999-01-01', posterPath: '/matrix.jpg' })
      expect(first).to.not.have.property('mediaInfo')
      expect(second.mediaInfo).to.include({ status: MediaStatus.AVAILABLE, tmdbId: 604 })
      expect(second.mediaInfo).to.not.have.property('requests')
      const tv = await call(`/search?query=${encodeRfc3986('game of')}`)
      expect(tv.json.results[0]).to.include({ mediaType: 'tv', name: 'Game of Thrones', firstAirDate: '2011-01-01' })
    })

    it('gives movie and tv details, tv with its seasons, and 404 for an id it does not know', async () => {
      expect((await call('/movie/603')).json).to.include({ id: 603, title: 'The Matrix' })
      const tv = await call('/tv/1399?language=en')
      expect(tv.json.seasons.map((s: { seasonNumber: number; episodeCount: number }) => [s.seasonNumber, s.episodeCount])).to.deep.equal([[1, 10], [2, 10], [3, 10]])
      expect((await call('/movie/1')).status).to.equal(404)
      expect((await call('/movie/abc')).status).to.equal(400)
    })
  })

  describe('requests', () => {
    it('auto-approves an admin request: the answer shows media 2, a later GET shows 3', async () => {
      const created = await call('/request', { method: 'POST', body: { mediaType: 'movie', mediaId: 603, is4k: false } })
      expect(created.status).to.equal(201)
      expect(created.json).to.deep.include({ status: RequestStatus.APPROVED })
      expect(created.json.media).to.include({ tmdbId: 603, status: MediaStatus.PENDING })
      expect(created.json.requestedBy.id).to.equal(1)
      const later = await call(`/request/${created.json.id}`)
      expect(later.json.media.status).to.equal(MediaStatus.PROCESSING)
    })

    it('creates a request on behalf of a user as pending, then approve and decline act on it', async () => {
      const alice = fake.addUser({ email: 'alice@example.com', plexId: 12345 })
      const created = await call('/request', { method: 'POST', user: alice, body: { mediaType: 'movie', mediaId: 603 } })
      expect(created.json.status).to.equal(RequestStatus.PENDING)
      expect(created.json.requestedBy.id).to.equal(alice)
      expect((await call(`/request/${created.json.id}/approve`, { method: 'POST', user: alice })).status, 'a user cannot approve').to.equal(403)
      const approved = await call(`/request/${created.json.id}/approve`, { method: 'POST' })
      expect(approved.json.status).to.equal(RequestStatus.APPROVED)
      expect(approved.json.modifiedBy.id).to.equal(1)
      expect((await call(`/request/${created.json.id}`)).json.media.status).to.equal(MediaStatus.PROCESSING)

      const other = await call('/request', { method: 'POST', body: { mediaType: 'tv', mediaId: 1399, seasons: [1], userId: alice } })
      expect(other.json.requestedBy.id).to.equal(alice)
      expect((await call(`/request/${other.json.id}/decline`, { method: 'POST' })).json.status).to.equal(RequestStatus.DECLINED)
    })

    it('answers 409 for a movie duplicate and 202 for a tv one, and requests only the seasons left', async () => {
      await call('/request', { method: 'POST', body: { mediaType: 'movie', mediaId: 603 } })
      expect((await call('/request', { method: 'POST', body: { mediaType: 'movie', mediaId: 603 } })).status).to.equal(409)
      expect((await call('/request', { method: 'POST', body: { mediaType: 'movie', mediaId: 604 } })).status, 'already available').to.equal(409)
      const first = await call('/request', { method: 'POST', body: { mediaType: 'tv', mediaId: 1399, seasons: [1, 2] } })
      expect(first.json.seasons.map((s: { seasonNumber: number }) => s.seasonNumber)).to.deep.equal([1, 2])
      expect(await call('/request', { method: 'POST', body: { mediaType: 'tv', mediaId: 1399, seasons: [2] } }))
        .to.deep.equal({ status: 202, json: { message: 'No seasons available to request' } })
      const rest = await call('/request', { method: 'POST', body: { mediaType: 'tv', mediaId: 1399, seasons: 'all' } })
      expect(rest.status).to.equal(201)
      expect(rest.json.seasons.map((s: { seasonNumber: number }) => s.seasonNumber)).to.deep.equal([3])
    })

    it('answers 500 with a message for a title TMDB does not have, and 400 for a bad body', async () => {
      const res = await call('/request', { method: 'POST', body: { mediaType: 'movie', mediaId: 1 } })
      expect(res.status).to.equal(500)
      expect(res.json.message).to.be.a('string')
      expect((await call('/request', { method: 'POST', body: { mediaType: 'film', mediaId: 603 } })).status).to.equal(400)
      expect((await call('/request', { method: 'POST', body: { mediaType: 'movie', mediaId: '603' } })).status).to.equal(400)
    })

    it('moves a request through its life, with download progress while it downloads', async () => {
      const alice = fake.addUser({ email: 'alice@example.com' })
      const { json: { id } } = await call('/request', { method: 'POST', user: alice, body: { mediaType: 'movie', mediaId: 603 } })
      const seen = async () => { const r = (await call(`/request/${id}`)).json; return [r.status, r.media.status] }
      expect(await seen()).to.deep.equal([1, 2])
      fake.moveRequest(id, 'approved')
      expect(await seen()).to.deep.equal([2, 2])
      fake.moveRequest(id, 'downloading', [{ sizeLeft: 500 }])
      const downloading = (await call(`/request/${id}`)).json.media
      expect(downloading.status).to.equal(MediaStatus.PROCESSING)
      expect(downloading.downloadStatus[0]).to.include({ title: 'The Matrix (1999)', sizeLeft: 500, status: 'downloading' })
      expect(downloading.downloadStatus[0]).to.have.keys('externalId', 'downloadId', 'mediaType', 'title', 'size', 'sizeLeft', 'status', 'timeLeft', 'estimatedCompletionTime')
      fake.moveRequest(id, 'available')
      expect(await seen()).to.deep.equal([2, 5])
      expect((await call(`/request/${id}`)).json.media.downloadStatus).to.deep.equal([])
      fake.moveRequest(id, 'failed')
      expect((await seen())[0]).to.equal(RequestStatus.FAILED)
    })

    it('marks an available request COMPLETED (5) when it plays Seerr', async () => {
      await fake.close()
      fake = await startFakeOverseerr({ seerr: true })
      fake.addTitle({ mediaType: 'movie', tmdbId: 603, title: 'The Matrix', year: 1999 })
      const { json: { id } } = await call('/request', { method: 'POST', body: { mediaType: 'movie', mediaId: 603 } })
      fake.moveRequest(id, 'available')
      expect((await call(`/request/${id}`)).json.status).to.equal(RequestStatus.COMPLETED)
    })

    it('lists with take/skip/filter/sort and pageInfo; a user sees only their own', async () => {
      const alice = fake.addUser({ email: 'alice@example.com' })
      const a = (await call('/request', { method: 'POST', user: alice, body: { mediaType: 'movie', mediaId: 603 } })).json.id
      const b = (await call('/request', { method: 'POST', body: { mediaType: 'tv', mediaId: 1399, seasons: 'all' } })).json.id
      fake.moveRequest(b, 'available')
      const all = await call('/request?take=1&skip=0&filter=all&sort=added')
      expect(all.json.pageInfo).to.deep.equal({ pages: 2, pageSize: 1, results: 2, page: 1 })
      expect(all.json.results.map((r: { id: number }) => r.id)).to.deep.equal([b])
      expect((await call('/request?filter=pending')).json.results.map((r: { id: number }) => r.id)).to.deep.equal([a])
      expect((await call('/request?filter=available')).json.results.map((r: { id: number }) => r.id)).to.deep.equal([b])
      expect((await call('/request?filter=processing')).json.results).to.deep.equal([])
      expect((await call('/request', { user: alice })).json.results.map((r: { id: number }) => r.id)).to.deep.equal([a])
      expect((await call(`/request/${b}`, { user: alice })).status).to.equal(403)
    })

    it('deletes a request with 204', async () => {
      const { json: { id } } = await call('/request', { method: 'POST', body: { mediaType: 'movie', mediaId: 603 } })
      expect((await call(`/request/${id}`, { method: 'DELETE' })).status).to.equal(204)
      expect((await call(`/request/${id}`)).status).to.equal(404)
    })

    it('lets a test set any media status, even one this Overseerr has no name for', async () => {
      fake.setAvailability('movie', 603, 7)
      expect((await call('/movie/603')).json.mediaInfo.status).to.equal(7)
    })
  })

  describe('users', () => {
    it('pages users ten at a time; email and plexId only for a key with MANAGE_USERS', async () => {
      for (let i = 0; i < 11; i++) fake.addUser({ email: `u${i}@example.com`, plexId: 100 + i, plexUsername: `u${i}` })
      const first = await call('/user')
      expect(first.json.pageInfo).to.deep.equal({ pages: 2, pageSize: 10, results: 12, page: 1 })
      expect(first.json.results[1]).to.include({ email: 'u0@example.com', plexId: 100, plexUsername: 'u0' })
      expect((await call('/user?take=10&skip=10')).json.results).to.have.length(2)
      const asUser = await call('/user', { user: 2 })
      expect(asUser.json.results[0]).to.not.have.any.keys('email', 'plexId')
    })
  })

  describe('webhook', () => {
    let receiver: http.Server
    let receiverUrl: string
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = []
    beforeEach(async () => {
      received.length = 0
      receiver = http.createServer((req, res) => {
        let body = ''
        req.on('data', (c) => { body += c })
        req.on('end', () => { received.push({ headers: req.headers, body }); res.writeHead(204).end() })
      })
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/overseerr`
    })
    afterEach(() => new Promise<void>((r) => receiver.close(() => r())))

    it('sends the default template: strings, snake_case request_id and media_type, with the Authorization header', async () => {
      const alice = fake.addUser({ email: 'alice@example.com', displayName: 'Alice' })
      const { json: { id } } = await call('/request', { method: 'POST', user: alice, body: { mediaType: 'tv', mediaId: 1399, seasons: [1, 2] } })
      const result = await fake.sendWebhook(receiverUrl, { authorization: 'Bearer hook-secret', payload: fake.webhookPayload('MEDIA_PENDING', id) })
      expect(result.status).to.equal(204)
      expect(received[0].headers.authorization).to.equal('Bearer hook-secret')
      expect(received[0].headers['content-type']).to.equal('application/json')
      expect(JSON.parse(received[0].body)).to.deep.equal({
        notification_type: 'MEDIA_PENDING', event: 'New Series Request', subject: 'Game of Thrones (2011)', message: 'Game of Thrones (2011).',
        image: 'https://image.tmdb.org/t/p/w600_and_h900_bestv2/1399.jpg',
        media: { media_type: 'tv', tmdbId: '1399', tvdbId: '121361', status: 'PENDING', status4k: 'UNKNOWN' },
        request: { request_id: String(id), requestedBy_email: 'alice@example.com', requestedBy_username: 'Alice', requestedBy_avatar: '/os_logo_square.png',
          requestedBy_settings_discordId: '', requestedBy_settings_telegramChatId: '' },
        issue: null, comment: null, extra: [{ name: 'Requested Seasons', value: '1, 2' }],
      })
    })

    it('sends null media and request for a test notification, and no Authorization when none is set', async () => {
      await fake.sendWebhook(receiverUrl, { payload: fake.webhookPayload('TEST_NOTIFICATION') })
      const body = JSON.parse(received[0].body)
      expect(body).to.include({ notification_type: 'TEST_NOTIFICATION', media: null, request: null })
      expect(received[0].headers).to.not.have.property('authorization')
    })

    it('sends whatever an admin-edited template produces', async () => {
      await fake.sendWebhook(receiverUrl, { payload: { notification_type: 'MEDIA_AVAILABLE', custom: true } })
      expect(JSON.parse(received[0].body)).to.deep.equal({ notification_type: 'MEDIA_AVAILABLE', custom: true })
    })
  })

  describe('failure modes and recording', () => {
    it('records method, path, raw query and headers, so a test can see the key travelled in the header', async () => {
      await call(`/search?query=${encodeRfc3986('matrix (1999)')}&page=1`, { user: 1 })
      const seen = fake.requests.at(-1)!
      expect(seen).to.deep.include({ method: 'GET', path: '/api/v1/search', url: '/api/v1/search?query=matrix%20%281999%29&page=1',
        query: { query: 'matrix (1999)', page: '1' } })
      expect(seen.headers['x-api-key']).to.equal(fake.apiKey)
      expect(seen.headers['x-api-user']).to.equal('1')
    })

    it('answers a chosen status, garbage, or refuses connections, then recovers', async () => {
      fake.status(500, 'database is locked')
      expect(await call('/status')).to.deep.equal({ status: 500, json: { message: 'database is locked' } })
      fake.garbage()
      const res = await fetch(`${fake.url}/api/v1/status`)
      expect(res.headers.get('content-type')).to.match(/application\/json/)
      expect(await res.text()).to.match(/^<html>/)
      await fake.down()
      const refused = await rawGet('/api/v1/status').then(() => null, (e: Error & { code?: string }) => e.code)
      expect(refused).to.equal('ECONNREFUSED')
      await fake.recover()
      expect((await call('/status')).status).to.equal(200)
    })

    it('answers late when slow with a delay', async () => {
      fake.slow(200)
      const started = Date.now()
      expect((await call('/status')).status).to.equal(200)
      expect(Date.now() - started).to.be.at.least(190)
    })

    it('hangs past a client timeout while slow, and still closes at once', async () => {
      fake.slow()
      const timedOut = await fetch(`${fake.url}/api/v1/status`, { signal: AbortSignal.timeout(300) }).then(() => null, (e: Error) => e.name)
      expect(timedOut).to.equal('TimeoutError')
      const pending = fetch(`${fake.url}/api/v1/auth/me`).then(() => 'answered', () => 'cut off')
      await new Promise((r) => setTimeout(r, 50))
      const started = Date.now()
      await fake.close()
      expect(Date.now() - started).to.be.below(1000)
      expect(await pending).to.equal('cut off')
    })
  })
})
