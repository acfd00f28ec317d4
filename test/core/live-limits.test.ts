import { expect } from 'chai'
import type { TestClient } from '../support/http-client.ts'
import { SseClient } from '../support/sse-client.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { waitFor } from '../support/wait-for.ts'

const TOKEN = /mn_[A-Za-z0-9_-]{43}/

describe('live: caps on open streams', function () {
  let host: TestHost
  const streams: SseClient[] = []

  before(async () => {
    // 12 per process: one user's full 10 plus two more reach it.
    host = await startTestHost({ config: { live: { maxStreams: 12, maxStreamsPerUser: 10 } } })
  })
  afterEach(async () => {
    for (const s of streams.splice(0)) await s.close()
    await waitFor('the server to forget closed streams', () => host.app.core.live.connections() === 0)
  })
  after(async () => {
    await host?.stop()
  })

  async function open(headers: Record<string, string>): Promise<SseClient> {
    const stream = await SseClient.open(host.url, headers)
    streams.push(stream)
    return stream
  }
  const cookie = (client: TestClient) => ({ Cookie: `mn_session=${client.cookie('mn_session')}` })

  async function createToken(client: TestClient): Promise<string> {
    await client.get('/account/tokens')
    const res = await client.post('/account/tokens', { name: 'dashboard script', lifetime: '30' })
    return TOKEN.exec(res.text)![0]
  }

  it('closes a user\'s oldest stream when they open an 11th', async () => {
    const { client } = await host.signedIn()
    const opened: SseClient[] = []
    for (let i = 0; i < 10; i++) opened.push(await open(cookie(client)))
    expect(opened.map((s) => s.status)).to.deep.equal(Array(10).fill(200))
    expect(host.app.core.live.connections()).to.equal(10)

    const eleventh = await open(cookie(client))
    expect(eleventh.status).to.equal(200)
    await opened[0].waitForEnd('the oldest stream to be closed')
    expect(opened.slice(1).map((s) => s.ended)).to.deep.equal(Array(9).fill(false))
    expect(host.app.core.live.connections()).to.equal(10)
  })

  it('counts API-token streams with the same user\'s session streams', async () => {
    const { client } = await host.signedIn()
    const token = await createToken(client)
    const bySession: SseClient[] = []
    for (let i = 0; i < 5; i++) bySession.push(await open(cookie(client)))
    for (let i = 0; i < 5; i++) expect((await open({ Authorization: `Bearer ${token}` })).status).to.equal(200)
    expect(host.app.core.live.connections()).to.equal(10)

    const viaToken = await open({ Authorization: `Bearer ${token}` })
    expect(viaToken.status).to.equal(200)
    await bySession[0].waitForEnd('the user\'s oldest stream (a session one) to be closed')
    expect(host.app.core.live.connections()).to.equal(10)
  })

  it('answers 429 with Retry-After once the process holds live.maxStreams, and takes streams again after', async () => {
    const { client: first } = await host.signedIn()
    const { client: second } = await host.signedIn()
    const { client: late } = await host.signedIn()
    const firsts: SseClient[] = []
    for (let i = 0; i < 10; i++) firsts.push(await open(cookie(first)))
    for (let i = 0; i < 2; i++) await open(cookie(second))
    expect(host.app.core.live.connections()).to.equal(12)

    const refused = await fetch(`${host.url}/events`, { headers: { ...cookie(late), Accept: 'text/event-stream' } })
    expect(refused.status).to.equal(429)
    expect(refused.headers.get('retry-after')).to.equal('30')
    expect(refused.headers.get('content-type')).not.to.match(/event-stream/)
    await refused.body?.cancel()
    expect(host.app.core.live.connections()).to.equal(12)

    // A user at their own cap still gets a new stream: their oldest gives way.
    const again = await open(cookie(first))
    expect(again.status).to.equal(200)
    await firsts[0].waitForEnd('the oldest stream of the user at their cap')

    await firsts[1].close()
    await waitFor('a free slot', () => host.app.core.live.connections() === 11)
    expect((await open(cookie(late))).status).to.equal(200)
  })
})
