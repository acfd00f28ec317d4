// The `plex` service type: what the admin configures in Admin → Services (the server's
// address, and the owner's X-Plex-Token as the API key) and how "Test connection"
// checks it. /identity needs no token, so it proves only that a Plex server answers;
// listing the libraries proves the token.
import { UpstreamError, type PluginContext, type ServiceType } from 'medianest/plugin-api'
import { PLEX_SERVICE, plexUpstream, readIdentity, readSections } from './plex-server-client.ts'

const TOKEN_HELP = "put the server owner's X-Plex-Token in the API key field"

export function plexServiceType(ctx: Pick<PluginContext, 'upstream'>): ServiceType {
  return {
    name: PLEX_SERVICE,
    label: 'Plex Media Server',
    async test(service, signal) {
      const began = performance.now()
      const elapsed = () => Math.round(performance.now() - began)
      // "Test connection" and the monitor ask how the server is now: not the breaker's memory.
      const client = plexUpstream(ctx, service, undefined, true)
      let who: string
      let machine: string
      try {
        const id = await readIdentity(client, signal)
        who = `${id.name ?? 'Plex Media Server'} ${id.version}`
        machine = id.machineIdentifier
      } catch (error) {
        return { ok: false, message: `No Plex Media Server answered at this address. ${(error as Error).message}`, responseTimeMs: elapsed() }
      }
      if (!service.apiKey) {
        return { ok: false, message: `${who} answered, but no token is set: ${TOKEN_HELP}.`, responseTimeMs: elapsed() }
      }
      try {
        const sections = await readSections(client, signal)
        const titles = sections.map((s) => s.title).slice(0, 5).join(', ')
        return {
          ok: true,
          message: `${who} (server ${machine.slice(0, 12)}) answered and accepted the token: ${sections.length} ${sections.length === 1 ? 'library' : 'libraries'}${titles ? ` (${titles})` : ''}.`,
          responseTimeMs: elapsed(),
        }
      } catch (error) {
        if (error instanceof UpstreamError && (error.upstreamStatus === 401 || error.upstreamStatus === 403)) {
          return { ok: false, message: `${who} answered, but the token was refused (HTTP ${error.upstreamStatus}): ${TOKEN_HELP}.`, responseTimeMs: elapsed() }
        }
        return { ok: false, message: `${who} answered, but listing its libraries failed. ${(error as Error).message}`, responseTimeMs: elapsed() }
      }
    },
  }
}
