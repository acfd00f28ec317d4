// The `overseerr` service type: what the admin configures in Admin → Services (the
// address, the API key sent as X-Api-Key, the webhook secret Overseerr's webhook agent
// sends in its Authorization header) and "Test connection". /status needs no key, so it
// proves only that an Overseerr answers; /auth/me proves the key and names its user.
import { UpstreamError, type PluginContext, type ServiceType } from 'medianest/plugin-api'
import { OVERSEERR_SERVICE, overseerrClientFor } from './overseerr-client.ts'

export function overseerrServiceType(ctx: Pick<PluginContext, 'upstream'>): ServiceType {
  return {
    name: OVERSEERR_SERVICE,
    label: 'Overseerr (or Jellyseerr)',
    fields: [{
      name: 'webhookSecret', label: 'Webhook secret', type: 'secret', shared: true,
      help: 'Tick "Generate" for a random one (or type any long random text), save, then show it here and paste it in Overseerr → Settings → Notifications → Webhook → Authorization Header.',
    }],
    async test(service, signal) {
      const began = performance.now()
      const elapsed = () => Math.round(performance.now() - began)
      // "Test connection" and the monitor ask how Overseerr is now: not the breaker's memory.
      const client = overseerrClientFor(ctx, service, 10_000, true)
      let version: string
      try {
        version = (await client.status(signal)).version
      } catch (error) {
        return { ok: false, message: `No Overseerr answered at this address. ${(error as Error).message}`, responseTimeMs: elapsed() }
      }
      if (!service.apiKey) return { ok: false, message: `Overseerr ${version} answered, but no API key is set: copy it from Overseerr → Settings → General.`, responseTimeMs: elapsed() }
      try {
        const me = await client.me(signal)
        const who = me.displayName || me.plexUsername || me.email || `user ${me.id}`
        return { ok: true, message: `Overseerr ${version} answered and accepted the API key, which acts as ${who}${me.email ? ` (${me.email})` : ''}.`, responseTimeMs: elapsed() }
      } catch (error) {
        if (error instanceof UpstreamError && (error.upstreamStatus === 401 || error.upstreamStatus === 403)) {
          return { ok: false, message: `Overseerr ${version} answered, but the API key was refused (HTTP ${error.upstreamStatus}): copy it again from Overseerr → Settings → General.`, responseTimeMs: elapsed() }
        }
        return { ok: false, message: `Overseerr ${version} answered, but checking the API key failed. ${(error as Error).message}`, responseTimeMs: elapsed() }
      }
    },
  }
}
