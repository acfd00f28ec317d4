// A typed client of the owner's Plex Media Server (CONTRACTS.md "Plex Media Server").
// Guarantees, each kept in one place below:
// - the configured `plex` service is read at call time (an admin's change applies at once);
// - the token travels only in the X-Plex-Token header, never in a URL, a log or an error;
// - every call has a timeout (ctx.upstream), and every answer passes a zod schema that
//   reads PMS's habit of leaving empty lists (`Metadata`, `Directory`) out as [];
// - failures read "Plex server: …" (UpstreamError), or PlexNotSetUp without a service.
import { BadInput, IMAGE_TYPES, UpstreamError, z, type FetchedImage, type PluginContext, type ServiceConfigRecord, type UpstreamClient } from 'medianest/plugin-api'
import { PlexNotSetUp, type PlexHealth, type PlexIdentity, type PlexItem, type PlexSection, type PlexServer } from './api.ts'

/** What the client needs from the plugin context, and nothing else. */
export type PlexClientContext = Pick<PluginContext, 'services' | 'upstream' | 'log'>

export const PLEX_SERVICE = 'plex'
/** A poster path on the server itself: `/library/metadata/123/thumb/1700000000`. */
const LIBRARY_IMAGE = /^\/library\/metadata\/\d{1,12}\/(thumb|art|poster)(\/\d{1,12})?$/
/** The service name in every error: "Plex server: refused the credentials (HTTP 401) (…)". */
export const PLEX_UPSTREAM_NAME = 'Plex server'

export interface PlexServerOptions {
  /** Longest one call may take (default 10 s; a folder refresh gets twice that). */
  timeoutMs?: number
}

/** The client plus what the image proxy needs; other plugins see only PlexServer. */
export interface PlexServerClient extends PlexServer {
  /** The poster path of an item on the configured server, or null when it has none or does not exist. */
  thumbPath(ratingKey: string, signal?: AbortSignal): Promise<string | null>
  /**
   * An item's poster as bytes, or null when it has none (or no such item, or its poster
   * is not a library path). A raster image type only, at most maxBytes; an UpstreamError otherwise.
   */
  poster(ratingKey: string, options: { maxBytes: number; timeoutMs: number; signal?: AbortSignal }): Promise<FetchedImage | null>
  /** The configured service (the image cache keys posters by its address); throws PlexNotSetUp. */
  service(): Promise<ServiceConfigRecord>
}

// ---------- answers, validated where they enter

const key = z.union([z.string(), z.number()]).transform(String)
/** PMS leaves an empty list out of its JSON altogether. */
const list = <T extends z.ZodType>(item: T) => z.array(item).optional().transform((v) => v ?? [])
const container = <T extends z.ZodRawShape>(shape: T) => z.object({ MediaContainer: z.object(shape) })

const identitySchema = container({
  machineIdentifier: z.string().min(1),
  version: z.string(),
  friendlyName: z.string().optional(),
})
const sectionsSchema = container({
  Directory: list(z.object({
    key,
    type: z.string(),
    title: z.string(),
    Location: list(z.object({ path: z.string() })),
  })),
})
const itemSchema = z.object({
  ratingKey: key,
  title: z.string(),
  type: z.string(),
  addedAt: z.number().optional(),
  thumb: z.string().optional(),
  Media: list(z.object({ Part: list(z.object({ file: z.string().optional() })) })),
})
const itemsSchema = container({ Metadata: list(itemSchema) })
const collectionSchema = container({ Metadata: z.array(z.object({ ratingKey: key })).min(1) })

type RawItem = z.output<typeof itemSchema>

const toItem = (raw: RawItem): PlexItem => ({
  ratingKey: raw.ratingKey,
  title: raw.title,
  type: raw.type,
  addedAt: new Date((raw.addedAt ?? 0) * 1000),
  ...(raw.thumb ? { thumb: raw.thumb } : {}),
  files: raw.Media.flatMap((m) => m.Part.map((p) => p.file)).filter((f): f is string => typeof f === 'string'),
})

/** Plex's numeric type for the items a section holds (collections and `/all?type=`). */
const ITEM_TYPE: Record<string, number> = { movie: 1, show: 4, artist: 10, photo: 13 }

const DIGITS = /^\d{1,12}$/
const trimSlash = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p)
const isUnder = (file: string, folder: string) => file === folder || file.startsWith(folder === '/' ? '/' : `${folder}/`)

// ---------- the pieces the service type's "Test connection" also uses

/**
 * An upstream client for one service row: the token in its header, JSON asked for.
 * `check`: for a health check, which the breaker must not answer for (ctx.upstream 1.13).
 */
export function plexUpstream(ctx: Pick<PluginContext, 'upstream'>, service: ServiceConfigRecord, timeoutMs?: number, check = false): UpstreamClient {
  return ctx.upstream({
    service: PLEX_UPSTREAM_NAME,
    baseUrl: service.serviceUrl,
    timeoutMs,
    ...(check ? { breaker: false } : {}),
    headers: { Accept: 'application/json', ...(service.apiKey ? { 'X-Plex-Token': service.apiKey } : {}) },
  })
}

export async function readIdentity(client: UpstreamClient, signal?: AbortSignal): Promise<PlexIdentity> {
  const { MediaContainer: c } = await client.get('/identity', identitySchema, { signal })
  return { machineIdentifier: c.machineIdentifier, version: c.version, ...(c.friendlyName ? { name: c.friendlyName } : {}) }
}

export async function readSections(client: UpstreamClient, signal?: AbortSignal): Promise<PlexSection[]> {
  const { MediaContainer: c } = await client.get('/library/sections', sectionsSchema, { signal })
  return c.Directory.map((d) => ({ key: d.key, type: d.type, title: d.title, locations: d.Location.map((l) => l.path) }))
}

/** A caller's mistake, refused before anything is sent (so it is not an upstream failure). */
function mustBeKeys(what: string, keys: string[]): void {
  if (!keys.length) throw new BadInput(`${PLEX_UPSTREAM_NAME}: needs at least one item for ${what}.`)
  const bad = keys.find((k) => !DIGITS.test(k))
  if (bad !== undefined) throw new BadInput(`${PLEX_UPSTREAM_NAME}: "${bad.slice(0, 40)}" is not a Plex item id (ratingKey) for ${what}.`)
}

// ---------- the client

export function createPlexServer(ctx: PlexClientContext, options: PlexServerOptions = {}): PlexServerClient {
  const timeoutMs = options.timeoutMs ?? 10_000
  // Posters of items this process has listed: the image proxy finds them without asking
  // Plex again. Bounded; a miss asks Plex for the item's metadata.
  const thumbs = new Map<string, string>()
  let thumbsFrom = ''
  const remember = (items: PlexItem[]) => {
    for (const item of items) {
      if (!item.thumb) continue
      thumbs.delete(item.ratingKey)
      thumbs.set(item.ratingKey, item.thumb)
      if (thumbs.size > 2000) thumbs.delete(thumbs.keys().next().value!)
    }
    return items
  }

  async function service(): Promise<ServiceConfigRecord> {
    const record = await ctx.services.get(PLEX_SERVICE)
    if (!record) throw new PlexNotSetUp()
    if (!record.enabled) throw new PlexNotSetUp('Plex is turned off: an admin turns the plex service on in Admin → Services.')
    // Posters remembered from another server mean nothing on this one.
    if (record.serviceUrl !== thumbsFrom) {
      thumbs.clear()
      thumbsFrom = record.serviceUrl
    }
    return record
  }
  const connect = async () => plexUpstream(ctx, await service(), timeoutMs)

  async function sectionOf(client: UpstreamClient, sectionKey: string): Promise<PlexSection> {
    const section = (await readSections(client)).find((s) => s.key === sectionKey)
    if (!section) throw new UpstreamError(PLEX_UPSTREAM_NAME, '/library/sections', `has no library section "${sectionKey.slice(0, 40)}"`)
    return section
  }

  const uriOf = (machineIdentifier: string, ratingKeys: string[]) =>
    `server://${machineIdentifier}/com.plexapp.plugins.library/library/metadata/${ratingKeys.join(',')}`

  const server: PlexServerClient = {
    service,

    async identity() {
      return readIdentity(await connect())
    },

    async sections() {
      return readSections(await connect())
    },

    async refreshPath(sectionKey, path) {
      const client = await connect()
      const section = await sectionOf(client, sectionKey)
      // PMS may take seconds to answer while it is busy scanning.
      await client.request({ path: `/library/sections/${encodeURIComponent(section.key)}/refresh`, query: { path }, timeoutMs: timeoutMs * 2 })
    },

    async findItemsByPath(sectionKey, path) {
      const client = await connect()
      const section = await sectionOf(client, sectionKey)
      const folder = trimSlash(path)
      const { MediaContainer: c } = await client.get(`/library/sections/${encodeURIComponent(section.key)}/all`, itemsSchema, {
        query: ITEM_TYPE[section.type] ? { type: ITEM_TYPE[section.type] } : undefined,
      })
      return remember(c.Metadata.map(toItem).filter((item) => item.files.some((f) => isUnder(f, folder))))
    },

    async createCollection(sectionKey, title, ratingKeys) {
      mustBeKeys('a new collection', ratingKeys)
      const client = await connect()
      const section = await sectionOf(client, sectionKey)
      const { machineIdentifier } = await readIdentity(client)
      const { data } = await client.request({
        method: 'POST', path: '/library/collections', schema: collectionSchema, timeoutMs: timeoutMs * 2,
        query: { type: ITEM_TYPE[section.type] ?? 1, title, smart: 0, sectionId: section.key, uri: uriOf(machineIdentifier, ratingKeys) },
      })
      return data.MediaContainer.Metadata[0].ratingKey
    },

    async addToCollection(collectionKey, ratingKeys) {
      mustBeKeys('the collection', [collectionKey, ...ratingKeys])
      const client = await connect()
      const { machineIdentifier } = await readIdentity(client)
      await client.request({
        method: 'PUT', path: `/library/collections/${collectionKey}/items`, timeoutMs: timeoutMs * 2,
        query: { uri: uriOf(machineIdentifier, ratingKeys) },
      })
    },

    async deleteCollection(collectionKey) {
      mustBeKeys('the collection to delete', [collectionKey])
      // python-plexapi's Collection.delete(): DELETE on the collection's key. 404: someone deleted it in Plex first.
      await (await connect()).request({ method: 'DELETE', path: `/library/collections/${collectionKey}`, accept: [404] })
    },

    async recentlyAdded(limit) {
      const size = Math.max(1, Math.min(100, Math.floor(limit)))
      const { MediaContainer: c } = await (await connect()).get('/library/recentlyAdded', itemsSchema, {
        query: { 'X-Plex-Container-Start': 0, 'X-Plex-Container-Size': size },
      })
      return remember(c.Metadata.slice(0, size).map(toItem))
    },

    async health(): Promise<PlexHealth> {
      const began = performance.now()
      const elapsed = () => Math.round(performance.now() - began)
      try {
        const client = await connect()
        const id = await readIdentity(client)
        const sections = await readSections(client)
        return { ok: true, message: `${id.name ?? 'Plex Media Server'} ${id.version} answered and accepted the token (${sections.length} ${sections.length === 1 ? 'library' : 'libraries'}).`, responseTimeMs: elapsed() }
      } catch (error) {
        return { ok: false, message: (error as Error).message, responseTimeMs: elapsed() }
      }
    },

    async thumbPath(ratingKey, signal) {
      if (!DIGITS.test(ratingKey)) return null
      const known = thumbs.get(ratingKey)
      if (known) return known
      // Not listed by this process yet (another instance rendered the widget, or a restart).
      const path = `/library/metadata/${ratingKey}`
      const { status, data } = await (await connect()).request({ path, accept: [404], signal })
      if (status === 404) return null
      const parsed = itemsSchema.safeParse(data)
      if (!parsed.success) throw new UpstreamError(PLEX_UPSTREAM_NAME, path, 'answered in a shape MediaNest does not understand')
      const item = parsed.data.MediaContainer.Metadata.find((m) => m.ratingKey === ratingKey)
      return item ? (remember([toItem(item)])[0]?.thumb ?? null) : null
    },

    async poster(ratingKey, { maxBytes, timeoutMs: posterTimeoutMs, signal }) {
      const path = await server.thumbPath(ratingKey, signal)
      if (path === null) return null
      // A path Plex handed us is still not a path to follow anywhere: only a library poster.
      if (!LIBRARY_IMAGE.test(path)) {
        ctx.log.warn(`poster of item ${ratingKey} is not a library path; not fetched`)
        return null
      }
      const { status, data, headers } = await (await connect()).request({
        path, responseType: 'bytes', headers: { Accept: 'image/*' }, accept: [404], maxBytes, timeoutMs: posterTimeoutMs, signal,
      })
      if (status === 404) return null
      const contentType = (headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
      if (!IMAGE_TYPES.has(contentType)) throw new UpstreamError(PLEX_UPSTREAM_NAME, path, `answered a poster that is not a raster image (${contentType.slice(0, 60) || 'no type'})`)
      if (!data.length) throw new UpstreamError(PLEX_UPSTREAM_NAME, path, 'answered an empty poster')
      return { bytes: data, contentType }
    },
  }
  return server
}
