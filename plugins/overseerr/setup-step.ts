// The setup guide's step for Overseerr (plugin API 1.6): done once an enabled Overseerr
// service with an address and a key is saved; its form tests the connection before saving.
import type { SetupStep } from 'medianest/plugin-api'
import type { OverseerrContext } from './plugin-config.ts'

export function overseerrSetupStep(ctx: OverseerrContext): SetupStep {
  return {
    id: 'connect', priority: 20,
    title: 'Connect Overseerr',
    why: 'People search for films and shows and request them here; Overseerr sends them to Radarr and Sonarr.',
    href: '/admin/services/new?type=overseerr',
    async state() {
      const service = await ctx.services.get('overseerr')
      if (!service) return { status: 'todo', detail: 'No Overseerr service is saved yet.' }
      const href = `/admin/services/${service.id}`
      if (!service.enabled) return { status: 'attention', detail: 'The Overseerr service is switched off.', href }
      if (!service.apiKey) return { status: 'attention', detail: 'The Overseerr service has no API key (Overseerr: Settings → General).', href }
      return { status: 'done', detail: `Requests go to ${service.serviceUrl}.`, href }
    },
  }
}
