// The setup guide's step for Plex (plugin API 1.6): done once sign-in checks against a
// chosen Plex server.
import type { SetupStep } from 'medianest/plugin-api'
import type { PlexAuthContext } from './plugin-config.ts'
import { configuredServer } from './access.ts'

export function plexSetupStep(ctx: PlexAuthContext): SetupStep {
  return {
    id: 'server', priority: 10,
    title: 'Choose your Plex server',
    why: 'Everyone with access to it signs in with their Plex account, and downloads land in its library.',
    href: '/admin/plex-auth',
    async state() {
      const server = await configuredServer(ctx)
      return server
        ? { status: 'done', detail: `Plex sign-in checks against ${server.serviceUrl}.` }
        : { status: 'todo', detail: 'No Plex server is chosen: sign in with Plex as its owner and pick it, or add it as a service with its token.' }
    },
  }
}
