// The Plex Media Server client against the loopback fake PMS: every method, the token
// only ever in its header, and failures that read "Plex server: …".
import { expect } from 'chai'
import { createUpstreamClient, resetBreakers } from '../../../core/upstream.ts'
import { createLogger } from '../../../core/log.ts'
import type { PluginContext, ServiceConfigRecord } from '../../../core/plugin-api.ts'
import { startFakePms, type FakePms } from '../../support/fake-pms.ts'
import { logDuring } from '../../support/log-capture.ts'
import { waitFor } from '../../support/wait-for.ts'
import { createPlexServer, type PlexClientContext } from '../../../plugins/plex-auth/plex-server-client.ts'
import { PlexNotSetUp } from '../../../plugins/plex-auth/api.ts'

const log = createLogger('error', false, true)

/** The context the client needs, with the plex service the test says. */
function contextWith(service: () => Partial<ServiceConfigRecord> | null): PlexClientContext {
  const services = {
    async get(name: string) {
      const s = service()
      if (name !== 'plex' || !s) return null
      return { id: 1, serviceName: 'plex', serviceUrl: '', apiKey: null, enabled: true, configData: {}, fields: {}, updatedAt: new Date(), updatedBy: null, ...s }
    },
  } as unknown as PluginContext['services']
  return { services, log, upstream: (o) => createUpstreamClient(o, log) }
}

describe('plex-auth: the Plex Media Server client', function () {
  this.timeout(20_000)
  let pms: FakePms
  let token: string

  beforeEach(async () => {
    resetBreakers()
    pms = await startFakePms()
    token = pms.token
  })
  afterEach(async () => {
    await pms.close()
    resetBreakers()
  })

  const server = (options: { timeoutMs?: number } = {}) => createPlexServer(contextWith(() => ({ serviceUrl: pms.url, apiKey: token })), options)

  it('reads the server identity', async () => {
    const id = await server().identity()
    expect(id.machineIdentifier).to.equal(pms.machineIdentifier)
    expect(id.version).to.equal(pms.version)
  })

  it('lists the library sections with their folders', async () => {
    pms.addSection({ type: 'movie', title: 'Movies', locations: ['/data/movies'] })
    pms.addSection({ type: 'show', title: 'YouTube', locations: ['/data/youtube', '/more/youtube'] })
    const sections = await server().sections()
    expect(sections).to.deep.equal([
      { key: '1', type: 'movie', title: 'Movies', locations: ['/data/movies'] },
      { key: '2', type: 'show', title: 'YouTube', locations: ['/data/youtube', '/more/youtube'] },
    ])
  })

  it('reads an empty library, which PMS sends without Directory or Metadata, as empty lists', async () => {
    expect(await server().sections()).to.deep.equal([])
    expect(await server().recentlyAdded(10)).to.deep.equal([])
    const raw = pms.requests.filter((r) => r.path === '/library/recentlyAdded')
    expect(raw).to.have.length(1)
  })

  it('refreshes one folder, and finds items by path only once the scan has found them', async () => {
    const section = pms.addSection({ type: 'movie', title: 'YouTube', locations: ['/data/youtube'] })
    const item = pms.addItem(section.key, { file: '/data/youtube/Channel/001 - First [abc].mp4', title: 'First' })
    pms.addItem(section.key, { file: '/data/youtube/Other/002 - Elsewhere [def].mp4' })
    const plex = server()
    expect(await plex.findItemsByPath(section.key, '/data/youtube/Channel')).to.deep.equal([])

    await plex.refreshPath(section.key, '/data/youtube/Channel')
    expect(pms.refreshes()).to.deep.equal([{ sectionKey: section.key, path: '/data/youtube/Channel', method: 'GET' }])

    const found = await waitFor('the item to appear', async () => {
      const items = await plex.findItemsByPath(section.key, '/data/youtube/Channel/')
      return items.length ? items : undefined
    })
    expect(found).to.have.length(1)
    expect(found[0]).to.include({ ratingKey: item.ratingKey, title: 'First', type: 'movie' })
    expect(found[0].files).to.deep.equal(['/data/youtube/Channel/001 - First [abc].mp4'])
    expect(found[0].addedAt).to.be.instanceOf(Date)
    // Only the folder asked for was scanned.
    expect(await plex.findItemsByPath(section.key, '/data/youtube/Other')).to.deep.equal([])
  })

  it('finds episodes in a show section by their files', async () => {
    const section = pms.addSection({ type: 'show', title: 'Shows', locations: ['/tv'] })
    pms.addItem(section.key, { file: '/tv/Show/S01E01.mkv', title: 'Pilot', visible: true })
    const items = await server().findItemsByPath(section.key, '/tv/Show')
    expect(items.map((i) => [i.title, i.type])).to.deep.equal([['Pilot', 'episode']])
  })

  it('says which section does not exist', async () => {
    try {
      await server().refreshPath('99', '/data')
      expect.fail('refreshed a section that does not exist')
    } catch (error) {
      expect((error as Error).message).to.match(/^Plex server: has no library section "99"/)
    }
  })

  it('creates a collection and adds items to it', async () => {
    const section = pms.addSection({ type: 'movie', title: 'YouTube', locations: ['/yt'] })
    const a = pms.addItem(section.key, { file: '/yt/a.mp4', visible: true })
    const b = pms.addItem(section.key, { file: '/yt/b.mp4', visible: true })
    const c = pms.addItem(section.key, { file: '/yt/c.mp4', visible: true })
    const plex = server()
    const key = await plex.createCollection(section.key, 'My (first) playlist & more', [a.ratingKey, b.ratingKey])
    await plex.addToCollection(key, [c.ratingKey])
    expect(pms.collections()).to.deep.equal([
      { ratingKey: key, sectionKey: section.key, title: 'My (first) playlist & more', type: 1, items: [a.ratingKey, b.ratingKey, c.ratingKey] },
    ])
  })

  it('deletes a collection, and takes one deleted in Plex already as deleted; its items stay', async () => {
    const section = pms.addSection({ type: 'movie', title: 'YouTube', locations: ['/yt'] })
    const a = pms.addItem(section.key, { file: '/yt/gone.mp4', visible: true })
    const plex = server()
    const key = await plex.createCollection(section.key, 'Going', [a.ratingKey])
    await plex.deleteCollection(key)
    expect(pms.collections().find((c) => c.ratingKey === key)).to.equal(undefined)
    await plex.deleteCollection(key)
    expect(pms.requests.filter((r) => r.method === 'DELETE' && r.path === `/library/collections/${key}`)).to.have.length(2)
    expect((await plex.findItemsByPath(section.key, '/yt')).map((i) => i.ratingKey)).to.include(a.ratingKey)
    try {
      await plex.deleteCollection('../1')
      expect.fail('deleted by a path')
    } catch (error) {
      expect((error as Error).message).to.match(/not a Plex item id/)
    }
  })

  it('refuses an item id that is not a ratingKey before calling Plex', async () => {
    const section = pms.addSection({ type: 'movie', title: 'YouTube', locations: ['/yt'] })
    const before = pms.requests.length
    for (const bad of [[], ['1,2'], ['../x']]) {
      try {
        await server().createCollection(section.key, 'x', bad)
        expect.fail('accepted a bad id')
      } catch (error) {
        expect((error as Error).message).to.match(/^Plex server: /)
      }
    }
    expect(pms.requests.length).to.equal(before)
  })

  it('lists what was recently added, newest first, with posters', async () => {
    const section = pms.addSection({ type: 'movie', title: 'Movies', locations: ['/m'] })
    pms.addItem(section.key, { file: '/m/old.mp4', title: 'Old', visible: true })
    await new Promise((r) => setTimeout(r, 5))
    const newest = pms.addItem(section.key, { file: '/m/new.mp4', title: 'New', visible: true })
    const items = await server().recentlyAdded(1)
    expect(items).to.have.length(1)
    expect(items[0]).to.include({ ratingKey: newest.ratingKey, title: 'New' })
    expect(items[0].thumb).to.match(new RegExp(`^/library/metadata/${newest.ratingKey}/thumb/\\d+$`))
  })

  it('sends the token only in the X-Plex-Token header, and asks for JSON', async () => {
    const section = pms.addSection({ type: 'movie', title: 'YouTube', locations: ['/yt'] })
    const a = pms.addItem(section.key, { file: '/yt/a.mp4', visible: true })
    const plex = server()
    await plex.identity()
    await plex.sections()
    await plex.refreshPath(section.key, '/yt')
    await plex.findItemsByPath(section.key, '/yt')
    const key = await plex.createCollection(section.key, 'C', [a.ratingKey])
    await plex.addToCollection(key, [a.ratingKey])
    await plex.recentlyAdded(5)
    await plex.health()
    expect(pms.requests.length).to.be.greaterThan(8)
    for (const r of pms.requests) {
      expect(r.url, r.url).not.to.include(token)
      expect(r.url.toLowerCase()).not.to.include('x-plex-token')
      expect(r.body).not.to.include(token)
      expect(r.headers['x-plex-token']).to.equal(token)
      expect(r.headers.accept).to.equal('application/json')
    }
  })

  it('says when Plex is not set up, or turned off', async () => {
    let configured: Partial<ServiceConfigRecord> | null = null
    const plex = createPlexServer(contextWith(() => configured))
    for (const call of [() => plex.identity(), () => plex.recentlyAdded(5), () => plex.sections()]) {
      try {
        await call()
        expect.fail('called Plex without a service')
      } catch (error) {
        expect(error).to.be.instanceOf(PlexNotSetUp)
        expect((error as Error).message).to.equal('Plex is not set up: an admin adds the plex service in Admin → Services.')
      }
    }
    configured = { serviceUrl: pms.url, apiKey: token, enabled: false }
    const health = await plex.health()
    expect(health.ok).to.equal(false)
    expect(health.message).to.match(/turned off/)
    expect(pms.requests).to.have.length(0)
  })

  describe('failures read "Plex server: …", without the token', () => {
    const failing = async (call: () => Promise<unknown>): Promise<string> => {
      let message = ''
      const lines = await logDuring(log, 'debug', async () => {
        try {
          await call()
        } catch (error) {
          message = (error as Error).message
        }
      })
      expect(message, 'the call should have failed').not.to.equal('')
      expect(message).not.to.include(token)
      for (const line of lines) expect(JSON.stringify(line)).not.to.include(token)
      return message
    }

    it('a refused token', async () => {
      token = 'not-the-token'
      const plex = server()
      expect(await failing(() => plex.sections())).to.match(/^Plex server: refused the credentials \(HTTP 401\)/)
      const health = await plex.health()
      expect(health).to.include({ ok: false })
      expect(health.message).to.match(/^Plex server: refused the credentials/)
    })

    it('a server error', async () => {
      pms.status(500)
      const plex = server()
      expect(await failing(() => plex.recentlyAdded(5))).to.match(/^Plex server: failed on its side \(HTTP 500\)/)
    })

    it('no answer in time', async () => {
      pms.slow()
      const plex = server({ timeoutMs: 200 })
      expect(await failing(() => plex.identity())).to.match(/^Plex server: did not answer within 0\.2 s/)
    })

    it('an answer that is not JSON (a proxy page)', async () => {
      pms.garbage()
      const plex = server()
      expect(await failing(() => plex.sections())).to.match(/^Plex server: answered with something that is not valid JSON/)
    })

    it('a server that is down', async () => {
      await pms.down()
      const plex = server()
      expect(await failing(() => plex.identity())).to.match(/^Plex server: refused the connection/)
      expect((await plex.health()).ok).to.equal(false)
    })
  })

  it('reports health in words', async () => {
    pms.addSection({ type: 'movie', title: 'Movies', locations: ['/m'] })
    const health = await server().health()
    expect(health.ok).to.equal(true)
    expect(health.message).to.match(new RegExp(`${pms.version.replace(/\./g, '\\.')}.*accepted the token \\(1 library\\)`))
    expect(health.responseTimeMs).to.be.a('number')
  })
})
