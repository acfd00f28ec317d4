// Overseerr's webhook agent: an API 1.1 webhook verified by the shared secret it sends in
// its Authorization header. Admins can edit the template, so the body is read
// defensively; a delivery only names a request (or an issue, for ISSUE_*), and the `sync`
// (or `problem-sync`) job reads its real state from Overseerr. Unknown titles, test notifications, duplicates and replays are answered
// 2xx and change nothing (a replay only queues another read).
import type { WebhookDefinition } from 'medianest/plugin-api'
import { OVERSEERR_SERVICE } from './overseerr-client.ts'
import type { OverseerrContext } from './plugin-config.ts'
import type { MediaRequestRow } from './requests.ts'
import type { ProblemRow } from './problems.ts'
import type { MediaType } from './statuses.ts'
import { SENT_STATUSES } from './statuses.ts'

export const WEBHOOK_PATH = 'overseerr'

const asRecord = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null)
const asInt = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : NaN
  return Number.isSafeInteger(n) && n > 0 ? n : null
}

/** An ISSUE_* delivery: the problem-sync job reads the issue itself (matched on its id and title, as for requests). */
async function problemDelivery(ctx: OverseerrContext, issueId: number | null, tmdbId: number | null, mediaType: MediaType | null, type: string, deliveryId: string) {
  const ids = issueId === null ? [] : await ctx.db<ProblemRow>('media_problems').where({ overseerr_issue_id: issueId })
    .modify((q) => { if (tmdbId !== null && mediaType) q.where({ tmdb_id: tmdbId, media_type: mediaType }) }).pluck('id')
  if (!ids.length) return { status: 200, body: { ok: true, ignored: true, notification: type } }
  for (const problemId of ids) await ctx.jobs.enqueue('problem-sync', { problemId })
  ctx.log.info(`webhook ${type}: syncing ${ids.length} problem report(s)`, { requestId: deliveryId })
  return { status: 202, body: { ok: true, queued: ids.length } }
}

export function overseerrWebhook(ctx: OverseerrContext): WebhookDefinition {
  return {
    id: 'overseerr',
    path: WEBHOOK_PATH,
    json: true,
    verify: {
      kind: 'shared-secret', header: 'Authorization',
      secret: async () => (await ctx.services.get(OVERSEERR_SERVICE))?.fields.webhookSecret as string | null,
    },
    // No dedupe: Overseerr's body carries no delivery id or time, so two real deliveries can
    // be byte for byte the same (a show's MEDIA_AVAILABLE for season 1, then for season 2);
    // a hash of it dropped the second. A delivery only queues a read of the real state, so
    // a replay costs one read and changes nothing (and the core's rate limit bounds it).
    async handle(d) {
      const body = asRecord(d.json) ?? {}
      const type = typeof body.notification_type === 'string' ? body.notification_type.slice(0, 60) : 'unknown'
      const overseerrId = asInt(asRecord(body.request)?.request_id)
      const media = asRecord(body.media)
      const tmdbId = asInt(media?.tmdbId)
      const mediaType = media?.media_type === 'movie' || media?.media_type === 'tv' ? media.media_type : null

      if (type.startsWith('ISSUE_')) return problemDelivery(ctx, asInt(asRecord(body.issue)?.issue_id), tmdbId, mediaType, type, d.deliveryId)

      let rows: MediaRequestRow[] = []
      // Overseerr's request id alone is not enough: a reset Overseerr numbers from 1 again,
      // and a delivery for its new #42 must not complete our older, unrelated #42.
      if (overseerrId !== null) {
        rows = await ctx.db<MediaRequestRow>('media_requests').where({ overseerr_id: overseerrId })
          .modify((q) => { if (tmdbId !== null && mediaType) q.where({ tmdb_id: tmdbId, media_type: mediaType }) })
          .whereIn('status', SENT_STATUSES)
      }
      if (!rows.length && tmdbId !== null && mediaType) {
        rows = await ctx.db<MediaRequestRow>('media_requests').where({ tmdb_id: tmdbId, media_type: mediaType }).whereNotNull('overseerr_id').whereIn('status', SENT_STATUSES)
      }
      if (!rows.length) return { status: 200, body: { ok: true, ignored: true, notification: type } }
      // No dedupe key: a sync already running may have read the state before this delivery's
      // change, so each delivery gets its own read. Moves are forward-only, so extra reads are harmless.
      for (const row of rows) await ctx.jobs.enqueue('sync', { requestId: row.id })
      ctx.log.info(`webhook ${type}: syncing ${rows.length} request(s)`, { requestId: d.deliveryId })
      return { status: 202, body: { ok: true, queued: rows.length } }
    },
  }
}
