// Whether plex.tv vouches for a token's owner, and as whom: the account to hand to
// ctx.identity, or the reason in words. Nothing here writes a row, so a refusal leaves
// no half user behind.
import { HttpError, UpstreamError, type ProviderAccount } from 'medianest/plugin-api'
import type { PlexAuthContext } from './plugin-config.ts'
import type { PlexTvClient } from './plex-tv-client.ts'
import { accessTo, configuredServer, machineIdentifier, NO_ACCESS, NOT_SET_UP, ownedServers } from './access.ts'

export interface Refusal { ok: false; status: number; message: string; cause?: unknown }
export type Verdict = { ok: true; account: ProviderAccount } | Refusal

export const TOKEN_REFUSED = 'Plex did not accept the sign-in (plex.tv refused the token). Try signing in with Plex again.'
export const NO_OWNED_SERVER = 'Your Plex account owns no Plex server, so it cannot set MediaNest up. Sign in to Plex with the server owner’s account, or create the admin with a password on the setup page.'

/** What a failed upstream call means for the person at the sign-in page. */
export function upstreamVerdict(error: UpstreamError): Refusal {
  const what = error.service === 'plex.tv' ? 'plex.tv' : 'The Plex server'
  return { ok: false, status: 502, message: `${what} could not be reached to finish your sign-in (${error.why}). Try again in a minute.`, cause: error }
}

/**
 * `setup`: the browser holds the setup code's grant, so this is the owner setting
 * MediaNest up: any server their account owns will do (they pick one next), and the
 * core makes them the admin. Otherwise only people with access to the configured server.
 */
export async function vouchFor(ctx: PlexAuthContext, plexTv: PlexTvClient, token: string, { setup }: { setup: boolean }): Promise<Verdict> {
  try {
    const user = await plexTv.user(token)
    if (user === 'refused') return { ok: false, status: 401, message: TOKEN_REFUSED }
    const resources = await plexTv.resources(token)
    if (resources === 'refused') return { ok: false, status: 401, message: TOKEN_REFUSED }

    let owner: boolean
    const service = setup ? null : await configuredServer(ctx)
    if (setup) {
      if (!ownedServers(resources).length) return { ok: false, status: 403, message: NO_OWNED_SERVER }
      owner = true
    } else if (service) {
      const access = accessTo(resources, await machineIdentifier(ctx, service))
      if (!access.allowed) return { ok: false, status: 403, message: NO_ACCESS }
      owner = access.owner
    } else {
      return { ok: false, status: 503, message: NOT_SET_UP }
    }
    return {
      ok: true,
      account: {
        provider: 'plex',
        providerAccountId: String(user.id),
        email: user.email ?? null,
        // plex.tv's user record says nothing about whether the address was confirmed
        // (CONTRACTS.md; the fake has no such field either): never link by it.
        emailVerified: false,
        name: user.title || user.username,
        image: user.thumb ?? null,
        username: user.username,
        tokens: { accessToken: token },
        role: owner ? 'ADMIN' : undefined,
      },
    }
  } catch (error) {
    if (error instanceof UpstreamError) return upstreamVerdict(error)
    throw error
  }
}

/** The core's refusals from linkOrCreate/signIn (suspended, unconfirmed email, no email), as a verdict. */
export function refusalVerdict(error: unknown): Refusal | null {
  if (error instanceof UpstreamError) return upstreamVerdict(error)
  if (error instanceof HttpError && error.status < 500) return { ok: false, status: error.status, message: error.message }
  return null
}
