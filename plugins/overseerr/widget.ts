// The dashboard card: the viewer's five latest requests with their status, and for
// admins how many wait for approval.
import type { Widget } from 'medianest/plugin-api'
import type { OverseerrContext } from './plugin-config.ts'
import { countLabel, pendingCount } from './request-pages.ts'
import { myFirstPage } from './my-requests-cache.ts'

export function requestsWidget(ctx: OverseerrContext): Widget {
  return {
    id: 'requests',
    title: 'Your requests',
    async render({ viewer, req }) {
      const requests = (await myFirstPage(ctx, viewer.id, req)).views.slice(0, 5)
      const pending = viewer.role === 'ADMIN' ? await pendingCount(ctx.db) : null
      return ctx.views.render('overseerr:_widget', { requests, pending, pendingLabel: pending === null ? null : countLabel(pending) })
    },
  }
}
