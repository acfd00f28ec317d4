// plex-auth: sign in with Plex (the PIN flow), letting in only people with access to the
// configured Plex server, re-checking their tokens daily. On by default, with its button
// hidden until a Plex server is configured: a Plex button that cannot work is only noise.
import { definePlugin, provide } from 'medianest/plugin-api'
import { plexAuthConfig } from './plugin-config.ts'
import { signInRoutes } from './routes.ts'
import { adminRoutes } from './admin-routes.ts'
import { ACCESS_LOST, forgetUser, latestChecks, recheckTokens } from './token-recheck.ts'
import { deleteExpiredPins } from './pins.ts'
import { configuredServer } from './access.ts'
import { plexServerRef } from './api.ts'
import { createPlexServer } from './plex-server-client.ts'
import { plexServiceType } from './plex-service-type.ts'
import { imageProxyRoutes } from './image-proxy.ts'
import { recentlyAddedWidget } from './recently-added.ts'
import { plexSetupStep } from './setup-step.ts'

export default definePlugin({
  name: 'plex-auth',
  version: '1.0.0',
  api: '^1.13.0',
  description: 'Sign in with Plex: people with access to your Plex server get in.',
  config: plexAuthConfig,
  migrations: new URL('./migrations', import.meta.url),
  views: new URL('./views', import.meta.url),
  tables: ['plex_auth_settings', 'plex_auth_pins', 'plex_auth_checks'],
  register(ctx) {
    const server = createPlexServer(ctx)
    const routes = signInRoutes(ctx)
    routes.use(imageProxyRoutes(ctx, server))
    return {
      routes,
      adminRoutes: adminRoutes(ctx),
      setupSteps: [plexSetupStep(ctx)],
      nav: [{ label: 'Plex sign-in', href: '/admin/plex-auth', place: 'admin' }],
      identityProviders: ['plex'],
      signInMethods: [{
        id: 'plex', label: 'Sign in with Plex', startPath: '/plex-auth/start',
        available: async () => Boolean(await configuredServer(ctx)),
        // A fresh install: /setup offers it, and after the setup code the owner's sign-in
        // makes the first admin, who then picks the server.
        setupPath: '/plex-auth/setup',
      }],
      // Each press of the button asks plex.tv for a PIN and writes one row: bounded per address.
      rateLimits: [
        { id: 'start', method: 'GET', path: '/start', limit: 30, window: '15m' },
        { id: 'setup', method: 'GET', path: '/setup', limit: 30, window: '15m' },
      ],
      provides: [provide(plexServerRef, server)],
      serviceTypes: [plexServiceType(ctx)],
      widgets: [recentlyAddedWidget(ctx, server), {
        id: 'sign-in',
        title: 'Plex sign-in',
        role: 'ADMIN',
        async render() {
          const lost = (await latestChecks(ctx.db)).filter((c) => c.outcome === 'revoked' || c.outcome === 'no-access').length
          return ctx.views.render('plex-auth:_widget', { server: await configuredServer(ctx), lost })
        },
      }],
      schedules: [
        {
          id: 'recheck-tokens', every: '1d', timeout: '30m', scope: 'cluster',
          async run(job) { await recheckTokens(ctx, job) },
        },
        {
          id: 'expire-pins', every: '15m', timeout: '1m', scope: 'cluster',
          async run({ log }) {
            const removed = await deleteExpiredPins(ctx.db, ctx.clock.now())
            if (removed) log.info(`removed ${removed} expired Plex PINs`)
          },
        },
      ],
      eventTypes: [{
        event: ACCESS_LOST, title: 'Plex access lost', audience: 'admins',
        describe: (p: { reason?: unknown }) => ({
          title: 'Plex access lost',
          message: `Someone’s Plex sign-in stopped working (${String(p.reason ?? 'no reason given')}); their Plex sessions were ended.`,
          link: '/admin/plex-auth',
        }),
      }],
      on: [{ event: 'core.user.deleted', async handle(p: { userId: string }) { await forgetUser(ctx.db, p.userId) } }],
    }
  },
})
