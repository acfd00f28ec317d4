// The fakes of plex.tv and Plex Media Server are only worth testing against while they
// behave as CONTRACTS.md says the real services do: these tests pin that down with plain
// fetch, so a fake cannot quietly become kinder than the real thing.
import { expect } from 'chai'
import { startFakePlexTv, type FakePlexTv } from '../support/fake-plex-tv.ts'
import { FAKE_THUMB_PNG, startFakePms, type FakePms } from '../support/fake-pms.ts'
import { sleep } from '../support/wait-for.ts'

const CLIENT_ID = 'medianest-test-install'
const plexHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  Accept: 'application/json',
  'X-Plex-Product': 'MediaNest',
  'X-Plex-Version': '0.1.0',
  'X-Plex-Client-Identifier': CLIENT_ID,
  ...extra,
})

/** A JSON answer, read loosely: the assertions say what shape it must have. */
const jsonOf = async (res: Response) => await res.json() as Record<string, any>

/** The error a fetch rejects with, with its cause's code (ECONNREFUSED, …). */
async function fetchFailure(work: Promise<unknown>): Promise<{ name: string; code?: string }> {
  try { await work } catch (e) {
    const error = e as Error & { cause?: { code?: string } }
    return { name: error.name, code: error.cause?.code }
  }
  throw new Error('expected the request to fail')
}

describe('fake plex.tv: the PIN sign-in flow', function () {
  let plex: FakePlexTv
  beforeEach(async () => { plex = await startFakePlexTv() })
  afterEach(() => plex.close())

  const createPin = async (headers = plexHeaders()) => {
    const res = await fetch(`${plex.url}/api/v2/pins?strong=true`, { method: 'POST', headers })
    return { status: res.status, body: await jsonOf(res) }
  }

  it('creates a strong PIN, gives its token once approved, and the account behind the token', async () => {
    const alice = plex.addUser({ username: 'alice', title: 'Alice' })
    const created = await createPin()
    expect(created.status).to.equal(201)
    expect(created.body).to.include({ authToken: null, expiresIn: 1800, clientIdentifier: CLIENT_ID })
    expect(created.body.id).to.be.a('number')
    expect(created.body.code).to.match(/^[a-z0-9]{25}$/)
    expect(Date.parse(created.body.expiresAt) - Date.now()).to.be.within(1795_000, 1800_000)

    const pending = await fetch(`${plex.url}/api/v2/pins/${created.body.id}`, { headers: plexHeaders() })
    expect(pending.status).to.equal(200)
    expect(await pending.json()).to.include({ id: created.body.id, code: created.body.code, authToken: null })

    const token = plex.approvePin(created.body.code, alice.id)
    const approved = await jsonOf(await fetch(`${plex.url}/api/v2/pins/${created.body.id}`, { headers: plexHeaders() }))
    expect(approved.authToken).to.equal(token)

    const user = await fetch(`${plex.url}/api/v2/user`, { headers: plexHeaders({ 'X-Plex-Token': token }) })
    expect(user.status).to.equal(200)
    expect(await user.json()).to.include({ id: alice.id, uuid: alice.uuid, username: 'alice', title: 'Alice', email: 'alice@example.com', thumb: alice.thumb })
  })

  it('answers 400 without X-Plex-Client-Identifier anywhere, and without X-Plex-Product on PIN create', async () => {
    const { 'X-Plex-Client-Identifier': _id, ...noClient } = plexHeaders()
    const { 'X-Plex-Product': _product, ...noProduct } = plexHeaders()
    expect((await createPin(noClient)).status).to.equal(400)
    const refused = await createPin(noProduct)
    expect(refused.status).to.equal(400)
    expect(refused.body.errors[0]).to.include({ status: 400 })
    const token = plex.issueToken(plex.addUser({ username: 'bob' }).id)
    expect((await fetch(`${plex.url}/api/v2/user`, { headers: { ...noClient, 'X-Plex-Token': token } })).status).to.equal(400)
    expect(plex.pins()).to.have.length(0)
  })

  it('answers 404 for an expired PIN, an unknown PIN and a PIN another client made', async () => {
    const expiring = (await createPin()).body
    const other = (await createPin(plexHeaders({ 'X-Plex-Client-Identifier': 'someone-else' }))).body
    plex.expirePin(expiring.code)
    const read = (id: number) => fetch(`${plex.url}/api/v2/pins/${id}`, { headers: plexHeaders() })
    const expired = await read(expiring.id)
    expect(expired.status).to.equal(404)
    expect((await jsonOf(expired)).errors[0]).to.include({ code: 1020, status: 404 })
    expect((await read(999)).status).to.equal(404)
    expect((await read(other.id)).status).to.equal(404)
    expect(() => plex.approvePin(expiring.code, plex.addUser({ username: 'carol' }).id)).to.throw(/expired/)
  })

  it('expires a PIN on its own after its lifetime', async () => {
    const short = await startFakePlexTv({ pinLifetimeSeconds: 0.2 })
    try {
      const pin = await jsonOf(await fetch(`${short.url}/api/v2/pins?strong=true`, { method: 'POST', headers: plexHeaders() }))
      expect((await fetch(`${short.url}/api/v2/pins/${pin.id}`, { headers: plexHeaders() })).status).to.equal(200)
      await sleep(250)
      expect((await fetch(`${short.url}/api/v2/pins/${pin.id}`, { headers: plexHeaders() })).status).to.equal(404)
    } finally {
      await short.close()
    }
  })

  it('answers 401 for no token, an unknown or revoked token, and a token in the query string', async () => {
    const token = plex.issueToken(plex.addUser({ username: 'dave' }).id)
    const user = (headers: Record<string, string>, query = '') => fetch(`${plex.url}/api/v2/user${query}`, { headers })
    expect((await user(plexHeaders())).status).to.equal(401)
    expect((await user(plexHeaders({ 'X-Plex-Token': 'nope' }))).status).to.equal(401)
    expect((await user(plexHeaders(), `?X-Plex-Token=${token}`)).status).to.equal(401)
    expect((await user(plexHeaders({ 'X-Plex-Token': token }))).status).to.equal(200)
    plex.revokeToken(token)
    const revoked = await user(plexHeaders({ 'X-Plex-Token': token }))
    expect(revoked.status).to.equal(401)
    expect((await jsonOf(revoked)).errors[0]).to.include({ code: 1001, status: 401 })
    expect((await fetch(`${plex.url}/api/v2/resources`, { headers: plexHeaders({ 'X-Plex-Token': token }) })).status).to.equal(401)
  })

  it('answers XML unless Accept asks for JSON', async () => {
    const res = await fetch(`${plex.url}/api/v2/pins?strong=true`, { method: 'POST', headers: plexHeaders({ Accept: '*/*' }) })
    expect(res.status).to.equal(201)
    expect(res.headers.get('content-type')).to.match(/^application\/xml/)
    const text = await res.text()
    expect(text).to.match(/^<\?xml/)
    expect(text).to.match(/<pin id="\d+" code="[a-z0-9]{25}"/)
  })

  it('sends email: null for an account without one', async () => {
    const token = plex.issueToken(plex.addUser({ username: 'kid', email: null }).id)
    const body = await (await fetch(`${plex.url}/api/v2/user`, { headers: plexHeaders({ 'X-Plex-Token': token }) })).json()
    expect(body).to.have.property('email', null)
  })
})

describe('fake plex.tv: the servers a token can reach', function () {
  let plex: FakePlexTv
  beforeEach(async () => { plex = await startFakePlexTv() })
  afterEach(() => plex.close())

  const resources = async (token: string, query = '?includeHttps=1&includeRelay=1') =>
    await (await fetch(`${plex.url}/api/v2/resources${query}`, { headers: plexHeaders({ 'X-Plex-Token': token }) })).json() as Array<Record<string, any>>
  const servers = (devices: Array<Record<string, any>>) => devices.filter((d) => d.provides.split(',').includes('server'))

  it('lists the owner\'s server as owned, a friend\'s only while shared, and players besides', async () => {
    const owner = plex.addUser({ username: 'owner' })
    const friend = plex.addUser({ username: 'friend' })
    plex.addServer({ clientIdentifier: 'machine-1', ownerId: owner.id, name: 'Basement', connections: [{ uri: 'http://192.168.1.10:32400', local: true }] })
    const ownerToken = plex.issueToken(owner.id)
    const friendToken = plex.issueToken(friend.id)

    const mine = await resources(ownerToken)
    expect(servers(mine)).to.have.length(1)
    expect(servers(mine)[0]).to.include({ name: 'Basement', clientIdentifier: 'machine-1', provides: 'server', owned: true, accessToken: plex.accessToken('machine-1', owner.id) })
    expect(mine.some((d) => !d.provides.includes('server'))).to.equal(true)

    expect(servers(await resources(friendToken))).to.have.length(0)
    plex.shareServer('machine-1', friend.id)
    const shared = servers(await resources(friendToken))
    expect(shared.map((d) => [d.clientIdentifier, d.owned])).to.deep.equal([['machine-1', false]])
    expect(shared[0].accessToken).to.equal(plex.accessToken('machine-1', friend.id)).and.not.equal(plex.accessToken('machine-1', owner.id))
    plex.unshareServer('machine-1', friend.id)
    expect(servers(await resources(friendToken))).to.have.length(0)
  })

  it('lists connections in the order given, with https and relay ones only when asked for', async () => {
    const owner = plex.addUser({ username: 'owner' })
    plex.addServer({
      clientIdentifier: 'machine-2', ownerId: owner.id, connections: [
        { uri: 'https://203-0-113-7.abc.plex.direct:32400', local: false },
        { uri: 'http://192.168.1.10:32400', local: true },
        { uri: 'https://203-0-113-7.abc.plex.direct:8443', local: false, relay: true },
      ],
    })
    const token = plex.issueToken(owner.id)
    const all = servers(await resources(token))[0].connections
    expect(all.map((c: any) => [c.uri, c.local, c.relay])).to.deep.equal([
      ['https://203-0-113-7.abc.plex.direct:32400', false, false],
      ['http://192.168.1.10:32400', true, false],
      ['https://203-0-113-7.abc.plex.direct:8443', false, true],
    ])
    expect(all[1]).to.include({ protocol: 'http', address: '192.168.1.10', port: 32400 })
    expect(servers(await resources(token, ''))[0].connections.map((c: any) => c.uri)).to.deep.equal(['http://192.168.1.10:32400'])
  })

  it('records every request: method, path, query and headers, with the token only in a header', async () => {
    const token = plex.issueToken(plex.addUser({ username: 'erin' }).id)
    await resources(token)
    const seen = plex.requests.at(-1)!
    expect(seen).to.include({ method: 'GET', path: '/api/v2/resources' })
    expect(seen.query).to.deep.equal({ includeHttps: '1', includeRelay: '1' })
    expect(seen.headers['x-plex-token']).to.equal(token)
    expect(seen.headers['x-plex-client-identifier']).to.equal(CLIENT_ID)
    expect(plex.requests.every((r) => !r.url.includes(token))).to.equal(true)
  })
})

describe('fake Plex Media Server', function () {
  let pms: FakePms
  beforeEach(async () => { pms = await startFakePms() })
  afterEach(() => pms.close())

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(pms.url + path, { headers: { Accept: 'application/json', 'X-Plex-Token': pms.token, ...headers } })
  const container = async (path: string, headers: Record<string, string> = {}) => {
    const res = await get(path, headers)
    expect(res.status, `${path} answered ${res.status}`).to.equal(200)
    return (await res.json() as { MediaContainer: Record<string, any> }).MediaContainer
  }

  it('tells its identity without a token', async () => {
    const res = await fetch(`${pms.url}/identity`, { headers: { Accept: 'application/json' } })
    expect(res.status).to.equal(200)
    expect((await jsonOf(res)).MediaContainer).to.include({ machineIdentifier: pms.machineIdentifier, version: pms.version })
  })

  it('answers 401 (an HTML page) without a valid token in the header, and for a revoked one', async () => {
    const none = await fetch(`${pms.url}/library/sections`, { headers: { Accept: 'application/json' } })
    expect(none.status).to.equal(401)
    expect(none.headers.get('content-type')).to.equal('text/html')
    expect((await fetch(`${pms.url}/library/sections?X-Plex-Token=${pms.token}`, { headers: { Accept: 'application/json' } })).status).to.equal(401)
    expect((await get('/library/sections', { 'X-Plex-Token': 'wrong' })).status).to.equal(401)
    pms.allowToken('shared-user-token')
    expect((await get('/library/sections', { 'X-Plex-Token': 'shared-user-token' })).status).to.equal(200)
    pms.revokeToken('shared-user-token')
    expect((await get('/library/sections', { 'X-Plex-Token': 'shared-user-token' })).status).to.equal(401)
  })

  it('answers XML unless Accept asks for JSON', async () => {
    pms.addSection({ type: 'movie', title: 'YouTube', locations: ['/data/youtube'] })
    const res = await fetch(`${pms.url}/library/sections`, { headers: { 'X-Plex-Token': pms.token } })
    expect(res.status).to.equal(200)
    expect(res.headers.get('content-type')).to.equal('text/xml;charset=utf-8')
    const xml = await res.text()
    expect(xml).to.match(/^<\?xml/)
    expect(xml).to.match(/<MediaContainer size="1"[^>]*><Directory [^>]*key="1" type="movie" title="YouTube"[^>]*><Location id="\d+" path="\/data\/youtube" \/><\/Directory><\/MediaContainer>/)
  })

  it('lists sections with string keys and their Location paths, and leaves Directory out when there are none', async () => {
    expect(await container('/library/sections')).to.not.have.property('Directory')
    pms.addSection({ type: 'movie', title: 'Movies', locations: ['/data/movies', '/mnt/more-movies'] })
    pms.addSection({ type: 'show', title: 'YouTube', locations: ['/data/youtube'], key: '7' })
    const { Directory } = await container('/library/sections')
    expect(Directory.map((d: any) => [d.key, d.type, d.title, d.Location.map((l: any) => l.path)])).to.deep.equal([
      ['1', 'movie', 'Movies', ['/data/movies', '/mnt/more-movies']],
      ['7', 'show', 'YouTube', ['/data/youtube']],
    ])
    expect(Directory[0].Location[0].id).to.be.a('number')
  })

  it('shows a file only after a refresh of a folder that holds it, and after its scan delay', async () => {
    const section = pms.addSection({ type: 'movie', title: 'YouTube', locations: ['/data/youtube'] })
    const item = pms.addItem(section.key, { file: '/data/youtube/playlist/clip one.mp4', title: 'Clip one', appearAfterMs: 150 })
    const all = `/library/sections/${section.key}/all?type=1`
    expect(await container(all)).to.not.have.property('Metadata')

    const refresh = (query: string, method = 'GET') =>
      fetch(`${pms.url}/library/sections/${section.key}/refresh${query}`, { method, headers: { 'X-Plex-Token': pms.token } })
    const outside = await refresh(`?path=${encodeURIComponent('/home/medianest/youtube/playlist')}`)
    expect(outside.status).to.equal(200)
    expect(await outside.text()).to.equal('')
    expect(await container(all)).to.not.have.property('Metadata')

    expect((await refresh(`?path=${encodeURIComponent('/data/youtube/playlist')}`, 'POST')).status).to.equal(200)
    expect(await container(all)).to.not.have.property('Metadata')
    await sleep(200)
    const { Metadata } = await container(all)
    expect(Metadata).to.have.length(1)
    expect(Metadata[0]).to.include({ ratingKey: item.ratingKey, title: 'Clip one', type: 'movie' })
    expect(Metadata[0].ratingKey).to.be.a('string')
    expect(Metadata[0].addedAt).to.be.a('number')
    expect(Metadata[0].Media[0].Part[0].file).to.equal('/data/youtube/playlist/clip one.mp4')
    expect(pms.refreshes()).to.deep.equal([
      { sectionKey: section.key, path: '/home/medianest/youtube/playlist', method: 'GET' },
      { sectionKey: section.key, path: '/data/youtube/playlist', method: 'POST' },
    ])
    expect((await refresh('', 'GET')).status).to.equal(200)
    expect(pms.refreshes().at(-1)).to.deep.equal({ sectionKey: section.key, path: null, method: 'GET' })
    expect((await fetch(`${pms.url}/library/sections/99/refresh`, { headers: { 'X-Plex-Token': pms.token } })).status).to.equal(404)
  })

  it('lists episodes of a show section only with type=4', async () => {
    const section = pms.addSection({ type: 'show', title: 'YouTube', locations: ['/data/youtube'] })
    pms.addItem(section.key, { file: '/data/youtube/a.mkv', visible: true })
    expect(await container(`/library/sections/${section.key}/all`)).to.not.have.property('Metadata')
    const { Metadata } = await container(`/library/sections/${section.key}/all?type=4`)
    expect(Metadata.map((m: any) => [m.type, m.title])).to.deep.equal([['episode', 'a']])
  })

  it('lists recently added newest first, up to X-Plex-Container-Size, and leaves Metadata out when empty', async () => {
    const recent = await container('/library/recentlyAdded')
    expect(recent).to.not.have.property('Metadata')
    expect(recent.size).to.equal(0)
    const section = pms.addSection({ type: 'movie', title: 'Movies', locations: ['/data/movies'] })
    pms.addItem(section.key, { file: '/data/movies/old.mp4', visible: true })
    await sleep(5)
    pms.addItem(section.key, { file: '/data/movies/new.mp4', visible: true })
    const { Metadata } = await container('/library/recentlyAdded?X-Plex-Container-Start=0&X-Plex-Container-Size=1')
    expect(Metadata.map((m: any) => m.title)).to.deep.equal(['new'])
    expect(Metadata[0]).to.include.keys('ratingKey', 'title', 'type', 'thumb', 'addedAt')
    expect((await container('/library/recentlyAdded')).Metadata.map((m: any) => m.title)).to.deep.equal(['new', 'old'])
  })

  it('creates a collection from a server:// uri and adds items to it', async () => {
    const section = pms.addSection({ type: 'movie', title: 'YouTube', locations: ['/data/youtube'] })
    const [a, b, c] = ['a', 'b', 'c'].map((name) => pms.addItem(section.key, { file: `/data/youtube/${name}.mp4`, visible: true }))
    const uri = (keys: string[], machine = pms.machineIdentifier) => encodeURIComponent(`server://${machine}/com.plexapp.plugins.library/library/metadata/${keys.join(',')}`)
    const send = (method: string, path: string) => fetch(pms.url + path, { method, headers: { Accept: 'application/json', 'X-Plex-Token': pms.token } })

    const created = await send('POST', `/library/collections?type=1&title=${encodeURIComponent('My playlist')}&smart=0&sectionId=${section.key}&uri=${uri([a.ratingKey, b.ratingKey])}`)
    expect(created.status).to.equal(200)
    const collectionKey = (await jsonOf(created)).MediaContainer.Metadata[0].ratingKey
    expect(collectionKey).to.be.a('string')

    expect((await send('PUT', `/library/collections/${collectionKey}/items?uri=${uri([c.ratingKey])}`)).status).to.equal(200)
    expect(pms.collections()).to.deep.equal([{ ratingKey: collectionKey, sectionKey: section.key, title: 'My playlist', type: 1, items: [a.ratingKey, b.ratingKey, c.ratingKey] }])

    expect((await send('PUT', `/library/collections/${collectionKey}/items?uri=${uri([c.ratingKey], 'another-machine')}`)).status).to.equal(400)
    expect((await send('PUT', `/library/collections/99999/items?uri=${uri([c.ratingKey])}`)).status).to.equal(404)
    expect((await send('POST', `/library/collections?type=1&title=x&smart=0&sectionId=42&uri=${uri([a.ratingKey])}`)).status).to.equal(400)
  })

  it('serves thumbnails as real PNG bytes, directly and through /photo/:/transcode', async () => {
    const section = pms.addSection({ type: 'movie', title: 'Movies', locations: ['/data/movies'] })
    pms.addItem(section.key, { file: '/data/movies/a.mp4', visible: true })
    const { Metadata } = await container('/library/recentlyAdded')
    const thumb: string = Metadata[0].thumb
    for (const path of [thumb, `/photo/:/transcode?width=300&height=450&minSize=1&url=${encodeURIComponent(thumb)}`]) {
      const res = await get(path)
      expect(res.status).to.equal(200)
      expect(res.headers.get('content-type')).to.equal('image/png')
      const bytes = Buffer.from(await res.arrayBuffer())
      expect(bytes.equals(FAKE_THUMB_PNG)).to.equal(true)
      expect(bytes.subarray(0, 8).toString('hex')).to.equal('89504e470d0a1a0a')
    }
    expect((await fetch(pms.url + thumb)).status).to.equal(401)
    expect((await get('/photo/:/transcode?url=%2Flibrary%2Fmetadata%2F999%2Fthumb%2F1')).status).to.equal(404)
  })
})

describe('fake servers: failing as real services fail', function () {
  let pms: FakePms
  beforeEach(async () => { pms = await startFakePms() })
  afterEach(() => pms.close())

  const identity = (init: RequestInit = {}) => fetch(`${pms.url}/identity`, { headers: { Accept: 'application/json' }, ...init })

  it('down: refuses connections, and recover() brings it back at the same address', async () => {
    await pms.down()
    expect(await fetchFailure(identity())).to.deep.equal({ name: 'TypeError', code: 'ECONNREFUSED' })
    await pms.recover()
    expect((await identity()).status).to.equal(200)
  })

  it('slow: hangs past a client timeout, yet closes at once', async () => {
    pms.slow()
    const started = Date.now()
    expect((await fetchFailure(identity({ signal: AbortSignal.timeout(200) }))).name).to.equal('TimeoutError')
    const hanging = fetchFailure(identity())
    await sleep(50)
    await pms.close()
    await hanging
    expect(Date.now() - started).to.be.below(2000)
    expect(pms.requests).to.have.length(2)
  })

  it('slow with a delay: answers, late', async () => {
    pms.slow(150)
    const started = Date.now()
    expect((await identity()).status).to.equal(200)
    expect(Date.now() - started).to.be.at.least(140)
  })

  it('status: answers with the given status, on every path or only one', async () => {
    pms.status(500)
    expect((await identity()).status).to.equal(500)
    pms.status(429, '/library/sections')
    expect((await identity()).status).to.equal(200)
    expect((await fetch(`${pms.url}/library/sections`, { headers: { 'X-Plex-Token': pms.token } })).status).to.equal(429)
    await pms.recover()
    expect((await fetch(`${pms.url}/library/sections`, { headers: { 'X-Plex-Token': pms.token } })).status).to.equal(200)
  })

  it('garbage: answers 200 with a body that is not JSON, whatever its Content-Type says', async () => {
    const plex = await startFakePlexTv()
    try {
      plex.garbage()
      const res = await fetch(`${plex.url}/api/v2/pins?strong=true`, { method: 'POST', headers: plexHeaders() })
      expect(res.status).to.equal(200)
      let parsed = true
      try { await res.json() } catch { parsed = false }
      expect(parsed).to.equal(false)
      expect(plex.requests).to.have.length(1)
    } finally {
      await plex.close()
    }
  })

  it('close() works while down, and twice', async () => {
    await pms.down()
    await pms.close()
    await pms.close()
    expect(await fetchFailure(identity())).to.deep.include({ code: 'ECONNREFUSED' })
  })
})
