// The "Recently added on Plex" dashboard card, for everyone signed in. Posters come
// through the image proxy (an item id in the URL, never Plex's address or token). When
// Plex is not set up or does not answer, the card says so in words: never a 500.
import { UpstreamError, type PluginContext, type Widget } from 'medianest/plugin-api'
import { PlexNotSetUp, type PlexServer } from './api.ts'

export const RECENTLY_ADDED_COUNT = 12

/** `addedAt`: the day, in the reader's zone. */
export interface PosterView { title: string; type: string; src: string | null; addedAt: { iso: string; text: string } }

export function recentlyAddedWidget(ctx: Pick<PluginContext, 'plugin' | 'views' | 'log' | 'http'>, server: PlexServer): Widget {
  return {
    id: 'recently-added',
    title: 'Recently added on Plex',
    async render({ viewer, req }) {
      const isAdmin = viewer.role === 'ADMIN'
      let items
      try {
        items = await server.recentlyAdded(RECENTLY_ADDED_COUNT)
      } catch (error) {
        if (error instanceof PlexNotSetUp) return ctx.views.render('plex-auth:_recently-added', { state: 'not-set-up', isAdmin, items: [] })
        // The message names the server's address: admins may read it, others get words only.
        const detail = error instanceof UpstreamError ? error.message : 'an unexpected error (see the log)'
        if (!(error instanceof UpstreamError)) ctx.log.error(`recently added: ${(error as Error).stack ?? String(error)}`)
        // A refused token is not an outage: say so, so an admin replaces the token.
        const refused = error instanceof UpstreamError && (error.upstreamStatus === 401 || error.upstreamStatus === 403)
        return ctx.views.render('plex-auth:_recently-added', { state: refused ? 'refused' : 'unreachable', isAdmin, detail, items: [] })
      }
      const posters: PosterView[] = items.map((item) => ({
        title: item.title,
        type: item.type,
        src: item.thumb ? `/${ctx.plugin.name}/images/${encodeURIComponent(item.ratingKey)}` : null,
        addedAt: { iso: item.addedAt.toISOString(), text: ctx.http.formatDate(req, item.addedAt, 'date') },
      }))
      return ctx.views.render('plex-auth:_recently-added', { state: 'ok', isAdmin, items: posters })
    },
  }
}
