// plex-auth: sign in with Plex, and the owner's Plex Media Server for every plugin.
// MINIMAL stand-in for the server half (branch plex-auth-server): the sign-in half's
// index.ts replaces this file at merge and wires the same pieces.
import { definePlugin, provide, z } from 'medianest/plugin-api'
import { plexServerRef } from './api.ts'
import { createPlexServer } from './plex-server-client.ts'
import { plexServiceType } from './plex-service-type.ts'
import { imageProxyRoutes } from './image-proxy.ts'
import { recentlyAddedWidget } from './recently-added.ts'

export default definePlugin({
  name: 'plex-auth',
  version: '1.0.0',
  api: '^1.1.0',
  description: 'Sign in with Plex; the owner\'s Plex Media Server for other plugins; recently added on the dashboard.',
  enabledByDefault: true,
  config: z.object({
    plexTvUrl: z.string().url().default('https://plex.tv'),
    plexAuthUrl: z.string().url().default('https://app.plex.tv/auth'),
    productName: z.string().min(1).max(60).default('MediaNest'),
  }),
  views: new URL('./views', import.meta.url),
  register(ctx) {
    const server = createPlexServer(ctx)
    const routes = ctx.http.router()
    routes.use(imageProxyRoutes(ctx, server))
    return {
      routes,
      provides: [provide(plexServerRef, server)],
      serviceTypes: [plexServiceType(ctx)],
      widgets: [recentlyAddedWidget(ctx, server)],
    }
  },
})
