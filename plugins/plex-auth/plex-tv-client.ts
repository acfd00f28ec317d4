// A typed plex.tv client (CONTRACTS.md "plex.tv") on ctx.upstream: the PIN flow, the
// account behind a token, and the servers a token reaches. The token travels only in
// the X-Plex-Token header; every answer is checked with zod where it enters.
import { UpstreamError, z } from 'medianest/plugin-api'
import type { PlexAuthContext } from './plugin-config.ts'

export const PLEX_TV = 'plex.tv'

const pinSchema = z.object({
  id: z.number().int(),
  code: z.string().min(1).max(100),
  authToken: z.string().min(1).nullable().optional(),
  expiresAt: z.string().optional(),
  expiresIn: z.number().optional(),
})
export type PlexPin = z.output<typeof pinSchema>

const userSchema = z.object({
  id: z.number().int(),
  uuid: z.string(),
  username: z.string(),
  title: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  thumb: z.string().nullable().optional(),
})
export type PlexUser = z.output<typeof userSchema>

const connectionSchema = z.object({ uri: z.string(), local: z.boolean().optional(), relay: z.boolean().optional() })
const resourceSchema = z.object({
  name: z.string().nullable().optional(),
  clientIdentifier: z.string(),
  provides: z.string().nullable().optional(),
  owned: z.boolean().nullable().optional(),
  connections: z.array(connectionSchema).nullable().optional(),
})
export type PlexResource = z.output<typeof resourceSchema>

export interface PlexTvClient {
  createPin(): Promise<PlexPin>
  readPin(id: number | string): Promise<PlexPin | 'expired'>
  user(token: string, signal?: AbortSignal): Promise<PlexUser | 'refused'>
  resources(token: string, signal?: AbortSignal): Promise<PlexResource[] | 'refused'>
}

export function createPlexTvClient(ctx: PlexAuthContext, clientIdentifier: string): PlexTvClient {
  const client = ctx.upstream({
    service: PLEX_TV,
    baseUrl: ctx.config.plexTvUrl,
    timeoutMs: ctx.config.timeoutMs,
    headers: {
      Accept: 'application/json',
      'X-Plex-Product': ctx.config.productName,
      'X-Plex-Version': ctx.plugin.version,
      'X-Plex-Client-Identifier': clientIdentifier,
    },
  })
  return {
    async createPin() {
      const res = await client.request({ method: 'POST', path: '/api/v2/pins', query: { strong: 'true' }, schema: pinSchema })
      return res.data
    },
    async readPin(id) {
      // plex.tv answers 404 for a PIN that expired (or was never ours).
      const res = await client.request({ path: `/api/v2/pins/${encodeURIComponent(String(id))}`, schema: z.unknown(), accept: [404] })
      if (res.status === 404) return 'expired'
      return parseOrThrow(pinSchema, res.data, `/api/v2/pins/${id}`)
    },
    async user(token, signal) {
      const res = await client.request({ path: '/api/v2/user', headers: { 'X-Plex-Token': token }, schema: z.unknown(), accept: [401], signal })
      if (res.status === 401) return 'refused'
      return parseOrThrow(userSchema, res.data, '/api/v2/user')
    },
    async resources(token, signal) {
      const res = await client.request({
        path: '/api/v2/resources', query: { includeHttps: 1, includeRelay: 1 },
        headers: { 'X-Plex-Token': token }, schema: z.unknown(), accept: [401], signal,
      })
      if (res.status === 401) return 'refused'
      return parseOrThrow(z.array(resourceSchema), res.data, '/api/v2/resources')
    },
  }

  function parseOrThrow<T>(schema: z.ZodType<T>, data: unknown, path: string): T {
    const parsed = schema.safeParse(data)
    if (parsed.success) return parsed.data
    const first = parsed.error.issues[0]
    const where = first?.path.length ? ` at ${first.path.join('.')}` : ''
    throw new UpstreamError(PLEX_TV, `${ctx.config.plexTvUrl.replace(/\/+$/, '')}${path}`, `answered in a shape MediaNest does not understand (${first?.message ?? 'invalid'}${where})`)
  }
}

/** Servers are devices whose `provides` lists "server" (the browser is a device too). */
export const isServer = (r: PlexResource) => (r.provides ?? '').split(',').map((s) => s.trim()).includes('server')
