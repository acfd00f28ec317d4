// A loopback Plex Media Server speaking CONTRACTS.md "Plex Media Server", quirks
// included: XML unless `Accept: application/json`; `Metadata` and `Directory` left out
// of the JSON when the list is empty (never `[]`); keys and ratingKeys as strings; 401
// as an HTML page; the token counted only in the X-Plex-Token header. A file added
// with addItem() is not in the library until a refresh covers its folder (as PMS sees
// the path), and may take a while more to appear, as a real scan does.
import crypto from 'node:crypto'
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from './fake-server.ts'
import { toXml, wantsJson } from './plex-xml.ts'

export type SectionType = 'movie' | 'show' | 'artist' | 'photo'
export type ItemType = 'movie' | 'episode' | 'track' | 'photo'

export interface FakeSection {
  key: string
  type: SectionType
  title: string
  agent: string
  locations: Array<{ id: number; path: string }>
}

export interface FakeItem {
  ratingKey: string
  sectionKey: string
  type: ItemType
  title: string
  /** The file as the Plex server sees it (Media[0].Part[0].file). */
  file: string
  /** How long after a covering refresh the item shows up. */
  appearAfterMs: number
  /** When it shows up (ms since epoch); null until a refresh covers it. */
  visibleAt: number | null
}

export interface FakeCollection {
  ratingKey: string
  sectionKey: string
  title: string
  /** The numeric Plex type it was created with (1 movie, 4 episode, …). */
  type: number
  /** ratingKeys of its items, in the order added. */
  items: string[]
}

export interface FakeRefresh {
  sectionKey: string
  /** The `path` parameter, decoded; null for a whole-section scan. */
  path: string | null
  method: string
}

export interface FakePmsOptions {
  machineIdentifier?: string
  version?: string
  /** The owner's token; a random one when left out. */
  token?: string
}

export interface FakePms extends FakeServer {
  machineIdentifier: string
  version: string
  /** A token the server accepts from the start (the owner's). */
  token: string
  allowToken(token: string): void
  revokeToken(token: string): void
  addSection(section: { type: SectionType; title: string; locations: string[]; key?: string; agent?: string }): FakeSection
  /** A file on disk under a section; in the library only after a refresh (or at once with `visible`). */
  addItem(sectionKey: string, item: { file: string; title?: string; type?: ItemType; appearAfterMs?: number; visible?: boolean }): FakeItem
  refreshes(): FakeRefresh[]
  collections(): FakeCollection[]
}

/** A real 1×1 PNG, so an image proxy test can decode what it relays. */
export const FAKE_THUMB_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

const TYPE_NUMBER: Record<string, number> = { movie: 1, show: 2, season: 3, episode: 4, artist: 8, album: 9, track: 10, photo: 13, collection: 18 }
const ITEM_TYPE_OF_SECTION: Record<SectionType, ItemType> = { movie: 'movie', show: 'episode', artist: 'track', photo: 'photo' }
const AGENT_OF_SECTION: Record<SectionType, string> = { movie: 'tv.plex.agents.none', show: 'tv.plex.agents.none', artist: 'tv.plex.agents.none', photo: 'com.plexapp.agents.none' }
const URI = /^server:\/\/([^/]+)\/com\.plexapp\.plugins\.library\/library\/metadata\/([^/]+)$/

const html = (status: number, title: string): FakeResponse => ({
  status,
  headers: { 'Content-Type': 'text/html' },
  body: `<html><head><title>${title}</title></head><body><h1>${status} ${title}</h1></body></html>`,
})
const trimSlash = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path)
const isUnder = (file: string, folder: string) => file === folder || file.startsWith(folder === '/' ? '/' : `${folder}/`)

export async function startFakePms(options: FakePmsOptions = {}): Promise<FakePms> {
  const machineIdentifier = options.machineIdentifier ?? crypto.randomBytes(20).toString('hex')
  const version = options.version ?? '1.40.2.8395-c67dce28e'
  const token = options.token ?? crypto.randomBytes(15).toString('base64url')
  const tokens = new Set([token])
  const sections = new Map<string, FakeSection>()
  const items = new Map<string, FakeItem>()
  const collections = new Map<string, FakeCollection>()
  const refreshes: FakeRefresh[] = []
  let nextSectionKey = 1
  let nextLocationId = 1
  // Items and collections share PMS's one metadata id space.
  let nextRatingKey = 101

  const visible = (item: FakeItem) => item.visibleAt !== null && item.visibleAt <= Date.now()
  const addedAt = (item: FakeItem) => Math.floor((item.visibleAt ?? 0) / 1000)
  const thumbPath = (item: FakeItem) => `/library/metadata/${item.ratingKey}/thumb/${addedAt(item)}`

  const metadata = (item: FakeItem): Record<string, unknown> => {
    const section = sections.get(item.sectionKey)!
    const partId = Number(item.ratingKey) * 10
    const name = item.file.split('/').pop() ?? item.file
    return {
      ratingKey: item.ratingKey,
      key: `/library/metadata/${item.ratingKey}`,
      guid: `local://${item.ratingKey}`,
      librarySectionID: Number(section.key),
      librarySectionTitle: section.title,
      librarySectionKey: `/library/sections/${section.key}`,
      type: item.type,
      title: item.title,
      ...(item.type === 'episode' ? { grandparentTitle: section.title, parentTitle: 'Season 1', index: 1, parentIndex: 1 } : {}),
      thumb: thumbPath(item),
      duration: 60_000,
      addedAt: addedAt(item),
      updatedAt: addedAt(item),
      Media: [{
        id: partId,
        duration: 60_000,
        container: name.split('.').pop(),
        Part: [{ id: partId, key: `/library/parts/${partId}/${addedAt(item)}/${encodeURIComponent(name)}`, duration: 60_000, file: item.file, size: 1_048_576 }],
      }],
    }
  }

  const collectionMetadata = (c: FakeCollection): Record<string, unknown> => ({
    ratingKey: c.ratingKey,
    key: `/library/collections/${c.ratingKey}/children`,
    guid: `collection://${c.ratingKey}`,
    type: 'collection',
    title: c.title,
    subtype: Object.keys(TYPE_NUMBER).find((k) => TYPE_NUMBER[k] === c.type),
    librarySectionID: Number(c.sectionKey),
    childCount: c.items.length,
  })

  /** The ratingKeys named by a `server://…/library/metadata/1,2` uri, or an error answer. */
  const ratingKeysOf = (uri: string | undefined): string[] | FakeResponse => {
    const m = URI.exec(uri ?? '')
    if (!m) return html(400, 'Bad Request')
    if (m[1] !== machineIdentifier) return html(400, 'Bad Request')
    return m[2].split(',').filter((rk) => items.has(rk) && visible(items.get(rk)!))
  }

  const handle = (req: RecordedRequest): FakeResponse => {
    const json = wantsJson(req.headers.accept)
    const container = (body: Record<string, unknown>): FakeResponse => {
      const trimmed = omitEmptyLists(body)
      return json
        ? { status: 200, headers: { 'Content-Type': 'application/json', 'X-Plex-Protocol': '1.0' }, body: JSON.stringify({ MediaContainer: trimmed }) }
        : { status: 200, headers: { 'Content-Type': 'text/xml;charset=utf-8', 'X-Plex-Protocol': '1.0' }, body: toXml('MediaContainer', trimmed) }
    }
    const { method, path, query } = req
    const get = method === 'GET'

    if (get && path === '/identity') return container({ size: 0, apiVersion: '1.1.1', claimed: true, machineIdentifier, version })

    const sent = req.headers['x-plex-token']
    if (typeof sent !== 'string' || !tokens.has(sent)) return html(401, 'Unauthorized')

    if (get && path === '/library/sections') {
      const list = [...sections.values()].map((s) => ({
        allowSync: true, art: '/:/resources/movie-fanart.jpg', key: s.key, type: s.type, title: s.title,
        agent: s.agent, scanner: s.type === 'movie' ? 'Plex Video Files Scanner' : 'Plex Series Scanner',
        language: 'xn', uuid: crypto.createHash('md5').update(s.key).digest('hex'), updatedAt: 1_700_000_000,
        createdAt: 1_700_000_000, scannedAt: 1_700_000_000, Location: s.locations,
      }))
      return container({ size: list.length, allowSync: false, title1: 'Plex Library', Directory: list })
    }

    const refresh = /^\/library\/sections\/([^/]+)\/refresh$/.exec(path)
    if (refresh && (get || method === 'POST')) {
      const section = sections.get(refresh[1])
      if (!section) return html(404, 'Not Found')
      const folder = query.path === undefined ? null : trimSlash(query.path)
      refreshes.push({ sectionKey: section.key, path: folder, method })
      // A folder outside every Location of the section is not scanned (a missing prefix mapping).
      const inSection = folder === null || section.locations.some((l) => isUnder(folder, trimSlash(l.path)))
      if (inSection) {
        for (const item of items.values()) {
          if (item.sectionKey !== section.key || item.visibleAt !== null) continue
          if (folder === null || isUnder(item.file, folder)) item.visibleAt = Date.now() + item.appearAfterMs
        }
      }
      return { status: 200, headers: { 'X-Plex-Protocol': '1.0' } }
    }

    const all = /^\/library\/sections\/([^/]+)\/all$/.exec(path)
    if (get && all) {
      const section = sections.get(all[1])
      if (!section) return html(404, 'Not Found')
      // Without `type`, a section lists its own kind: a show section lists shows, not episodes.
      const type = query.type === undefined ? TYPE_NUMBER[section.type] : Number(query.type)
      const found = [...items.values()].filter((i) => i.sectionKey === section.key && visible(i) && TYPE_NUMBER[i.type] === type)
      return container({
        size: found.length, allowSync: true, identifier: 'com.plexapp.plugins.library', librarySectionID: Number(section.key),
        librarySectionTitle: section.title, title1: section.title, Metadata: found.map(metadata),
      })
    }

    if (get && path === '/library/recentlyAdded') {
      const start = Number(query['X-Plex-Container-Start'] ?? req.headers['x-plex-container-start'] ?? 0)
      const size = Number(query['X-Plex-Container-Size'] ?? req.headers['x-plex-container-size'] ?? 50)
      const recent = [...items.values()].filter(visible).sort((a, b) => b.visibleAt! - a.visibleAt!)
      const page = recent.slice(start, start + size)
      return container({ size: page.length, totalSize: recent.length, offset: start, allowSync: false, mixedParents: true, Metadata: page.map(metadata) })
    }

    if (method === 'POST' && path === '/library/collections') {
      const section = sections.get(query.sectionId ?? '')
      const type = Number(query.type)
      if (!section || !query.title || !Number.isInteger(type) || (query.smart !== undefined && query.smart !== '0')) return html(400, 'Bad Request')
      const keys = ratingKeysOf(query.uri)
      if (!Array.isArray(keys)) return keys
      const collection: FakeCollection = { ratingKey: String(nextRatingKey++), sectionKey: section.key, title: query.title, type, items: [...new Set(keys)] }
      collections.set(collection.ratingKey, collection)
      return container({ size: 1, Metadata: [collectionMetadata(collection)] })
    }

    const oneCollection = /^\/library\/collections\/([^/]+)$/.exec(path)
    if (method === 'DELETE' && oneCollection) {
      if (!collections.delete(oneCollection[1])) return html(404, 'Not Found')
      return { status: 200, headers: {}, body: '' }
    }

    const addItems = /^\/library\/collections\/([^/]+)\/items$/.exec(path)
    if (method === 'PUT' && addItems) {
      const collection = collections.get(addItems[1])
      if (!collection) return html(404, 'Not Found')
      const keys = ratingKeysOf(query.uri)
      if (!Array.isArray(keys)) return keys
      for (const rk of keys) if (!collection.items.includes(rk)) collection.items.push(rk)
      return container({ size: 1, Metadata: [collectionMetadata(collection)] })
    }

    const thumb = /^\/library\/metadata\/([^/]+)\/thumb\/\d+$/.exec(path)
    if (get && thumb) {
      const item = items.get(thumb[1])
      return item && visible(item) ? png() : html(404, 'Not Found')
    }

    if (get && path === '/photo/:/transcode') {
      if (!query.url) return html(400, 'Bad Request')
      const inner = /^\/library\/metadata\/([^/]+)\/thumb\/\d+$/.exec(query.url.split('?')[0])
      const item = inner ? items.get(inner[1]) : undefined
      return item && visible(item) ? png() : html(404, 'Not Found')
    }

    return html(404, 'Not Found')
  }

  const server = await startFakeServer(handle)

  return {
    ...server,
    machineIdentifier,
    version,
    token,
    allowToken(t) { tokens.add(t) },
    revokeToken(t) { tokens.delete(t) },
    addSection(input) {
      const key = input.key ?? String(nextSectionKey++)
      if (sections.has(key)) throw new Error(`fake PMS: section ${key} exists already`)
      const section: FakeSection = {
        key,
        type: input.type,
        title: input.title,
        agent: input.agent ?? AGENT_OF_SECTION[input.type],
        locations: input.locations.map((path) => ({ id: nextLocationId++, path })),
      }
      sections.set(key, section)
      return section
    },
    addItem(sectionKey, input) {
      const section = sections.get(sectionKey)
      if (!section) throw new Error(`fake PMS: no section ${sectionKey} (call addSection first)`)
      const item: FakeItem = {
        ratingKey: String(nextRatingKey++),
        sectionKey,
        type: input.type ?? ITEM_TYPE_OF_SECTION[section.type],
        title: input.title ?? (input.file.split('/').pop() ?? input.file).replace(/\.[^.]+$/, ''),
        file: input.file,
        appearAfterMs: input.appearAfterMs ?? 0,
        visibleAt: input.visible ? Date.now() : null,
      }
      items.set(item.ratingKey, item)
      return item
    },
    refreshes: () => [...refreshes],
    collections: () => [...collections.values()],
  }
}

/** PMS leaves an empty list out altogether (`Metadata`, `Directory`, …) rather than sending []. */
function omitEmptyLists(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      if (v.length) out[key] = v.map((x) => (typeof x === 'object' && x !== null ? omitEmptyLists(x as Record<string, unknown>) : x))
    } else out[key] = v
  }
  return out
}

function png(): FakeResponse {
  return { status: 200, headers: { 'Content-Type': 'image/png', 'Content-Length': String(FAKE_THUMB_PNG.length) }, body: FAKE_THUMB_PNG }
}
