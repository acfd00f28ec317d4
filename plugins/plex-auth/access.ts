// Who may get in: a Plex user whose own token lists the configured server among its
// resources (CONTRACTS.md: provides "server", clientIdentifier = the server's
// machineIdentifier). owned: true marks the owner. Checking from the user's side needs
// no owner token at sign-in.
import { z, type ServiceConfigRecord } from 'medianest/plugin-api'
import type { PlexAuthContext } from './plugin-config.ts'
import { isServer, type PlexResource } from './plex-tv-client.ts'

export const PLEX_SERVICE = 'plex'
export const PMS = 'Plex Media Server'

const identitySchema = z.object({ MediaContainer: z.object({ machineIdentifier: z.string().min(1), version: z.string().optional() }) })

/** The configured plex service, if an admin has set one up and left it enabled. */
export async function configuredServer(ctx: PlexAuthContext): Promise<ServiceConfigRecord | null> {
  const service = await ctx.services.get(PLEX_SERVICE)
  return service && service.enabled && service.serviceUrl ? service : null
}

/**
 * The server's machineIdentifier from GET /identity (no token needed). At merge this
 * may become `server.identity()` of the PlexServer the other half provides.
 */
export async function machineIdentifier(ctx: PlexAuthContext, service: ServiceConfigRecord, signal?: AbortSignal): Promise<string> {
  const pms = ctx.upstream({ service: PMS, baseUrl: service.serviceUrl, timeoutMs: ctx.config.timeoutMs, headers: { Accept: 'application/json' } })
  const identity = await pms.get('/identity', identitySchema, { signal })
  return identity.MediaContainer.machineIdentifier
}

export type Access = { allowed: true; owner: boolean } | { allowed: false }

export function accessTo(resources: PlexResource[], machineId: string): Access {
  const entry = resources.find((r) => isServer(r) && r.clientIdentifier === machineId)
  return entry ? { allowed: true, owner: entry.owned === true } : { allowed: false }
}

/** The servers this account owns (for owner-first setup). */
export const ownedServers = (resources: PlexResource[]) => resources.filter((r) => isServer(r) && r.owned === true)

export const NO_ACCESS = 'Your Plex account has no access to this server. Ask the server’s owner to share a library with you, then try again.'
export const NOT_SET_UP = 'Plex sign-in is not set up yet: an admin has to add the Plex server under Admin → Services (service name “plex”). Sign in another way for now.'
