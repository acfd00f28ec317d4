// Owner-first setup: the servers the signed-in owner's Plex account owns, each
// connection tried (local ones first, then remote, relays last) by asking its /identity
// and comparing the machineIdentifier. The owner picks one address that answered, and
// it is saved as the "plex" service with the owner's own token (ctx.services.save),
// as Overseerr does it.
import { UpstreamError, z } from 'medianest/plugin-api'
import type { PlexAuthContext } from './plugin-config.ts'
import { createPlexTvClient, type PlexResource } from './plex-tv-client.ts'
import { clientIdentifier } from './settings.ts'
import { ownedServers, PMS } from './access.ts'

export interface ConnectionResult { uri: string; local: boolean; relay: boolean; ok: boolean; message: string }
export interface OwnedServer { name: string; machineIdentifier: string; connections: ConnectionResult[]; best: string | null }

const identitySchema = z.object({ MediaContainer: z.object({ machineIdentifier: z.string() }) })
const rank = (c: { local?: boolean; relay?: boolean }) => (c.relay ? 2 : c.local ? 0 : 1)

/** The Plex token of this user's linked Plex account, or null (signed in with a password). */
export async function plexTokenOf(ctx: PlexAuthContext, userId: string): Promise<string | null> {
  const plexId = (await ctx.users.get(userId))?.accounts.find((a) => a.provider === 'plex')?.providerAccountId
  if (!plexId) return null
  return (await ctx.identity.tokens('plex', plexId))?.accessToken ?? null
}

/** null: the viewer has no Plex account linked (signed in with a password). */
export async function ownedServersOf(ctx: PlexAuthContext, userId: string): Promise<OwnedServer[] | null | 'refused'> {
  const token = await plexTokenOf(ctx, userId)
  if (!token) return null
  const resources = await createPlexTvClient(ctx, await clientIdentifier(ctx.db)).resources(token)
  if (resources === 'refused') return 'refused'
  return Promise.all(ownedServers(resources).map((r) => testServer(ctx, r)))
}

async function testServer(ctx: PlexAuthContext, server: PlexResource): Promise<OwnedServer> {
  const connections = [...(server.connections ?? [])].sort((a, b) => rank(a) - rank(b))
  const results: ConnectionResult[] = []
  for (const c of connections) {
    const base = { uri: c.uri, local: c.local === true, relay: c.relay === true }
    if (!/^https?:\/\//.test(c.uri)) { results.push({ ...base, ok: false, message: 'not an http(s) address' }); continue }
    try {
      const pms = ctx.upstream({ service: PMS, baseUrl: c.uri, timeoutMs: Math.min(ctx.config.timeoutMs, 5000), headers: { Accept: 'application/json' } })
      const found = (await pms.get('/identity', identitySchema)).MediaContainer.machineIdentifier
      results.push(found === server.clientIdentifier
        ? { ...base, ok: true, message: 'answers, and is this server' }
        : { ...base, ok: false, message: 'answers, but is another Plex server' })
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error
      results.push({ ...base, ok: false, message: error.why })
    }
  }
  return { name: server.name ?? server.clientIdentifier, machineIdentifier: server.clientIdentifier, connections: results, best: results.find((r) => r.ok)?.uri ?? null }
}
