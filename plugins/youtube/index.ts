// youtube: download playlists with the real yt-dlp into the Plex library, with live
// progress, quotas, follows, and nothing lost on a crash. Declares only; the work lives
// in submissions.ts, download-job.ts, plex-sync.ts and follows.ts.
import { definePlugin, z } from 'medianest/plugin-api'
import { youtubeConfig } from './plugin-config.ts'
import { youtubeRoutes } from './routes.ts'
import { adminRoutes } from './admin-routes.ts'
import { createTools } from './tools.ts'
import { downloadJobFailed, runDownloadJob, DOWNLOAD_ATTEMPTS } from './download-job.ts'
import { PLEX_ATTEMPTS, requeuePendingPlex, runPlexForget, runPlexSync } from './plex-sync.ts'
import { checkDueFollows } from './follows.ts'
import { applyRetention } from './retention.ts'
import { progressView, runningForUser } from './downloads.ts'
import { eventTypes } from './event-types.ts'
import { stopAll } from './yt-dlp.ts'
import { youtubeSetupStep } from './setup-step.ts'

const byDownload = z.object({ downloadId: z.string().uuid() })
const forgetPayload = z.object({ folder: z.string().min(1).max(300), collectionKey: z.string().regex(/^\d{1,12}$/).nullable() })
// register() and start() share one Tools per running instance (keyed by its config slice).
const toolsOf = new WeakMap<object, ReturnType<typeof createTools>>()
const toolsFor = (config: Parameters<typeof createTools>[0], clock: Parameters<typeof createTools>[1]) => {
  let t = toolsOf.get(config)
  if (!t) toolsOf.set(config, (t = createTools(config, clock)))
  return t
}

export default definePlugin({
  name: 'youtube',
  version: '1.0.0',
  api: '^1.13.0',
  description: 'Download YouTube playlists with yt-dlp into the Plex library, with live progress.',
  enabledByDefault: true,
  dependsOn: ['plex-auth'],
  config: youtubeConfig,
  migrations: new URL('./migrations', import.meta.url),
  views: new URL('./views', import.meta.url),
  seeds: new URL('./seeds', import.meta.url),
  tables: ['youtube_downloads', 'youtube_follows', 'youtube_items'],
  register(ctx) {
    const tools = toolsFor(ctx.config, ctx.clock)
    ctx.onStop(() => stopAll())
    return {
      routes: youtubeRoutes(ctx, tools),
      adminRoutes: adminRoutes(ctx, tools),
      setupSteps: [youtubeSetupStep(ctx, tools)],
      // An old yt-dlp still starts but YouTube refuses it: the admin hears it on /admin and in /readyz.
      warnings: [
        { id: 'yt-dlp-old', check: () => tools.staleWarning() },
        {
          id: 'yt-dlp-missing',
          check: () => {
            const y = tools.state().ytDlp
            return y && !y.ok ? `Downloads are unavailable: ${y.message}` : null
          },
        },
      ],
      nav: [
        { label: 'Downloads', href: '/youtube', priority: 20 },
        { label: 'YouTube', href: '/admin/youtube', place: 'admin' },
      ],
      // Only accepted submissions count: five mistyped addresses must not lock a person out for an hour.
      rateLimits: [{ id: 'submit', method: 'POST', path: '/', limit: ctx.config.submissionsPerHour, window: '1h', acceptedOnly: true }],
      widgets: [{
        id: 'running',
        title: 'Downloads',
        async render({ viewer }) {
          const rows = await runningForUser(ctx.db, viewer.id)
          return ctx.views.render('youtube:_widget', { downloads: rows.map((d) => ({ d, p: progressView(d) })) })
        },
      }],
      jobs: [
        {
          name: 'download', timeout: '12h', concurrency: ctx.config.maxConcurrent, attempts: DOWNLOAD_ATTEMPTS, payload: byDownload,
          run: (payload, job) => runDownloadJob(ctx, tools, payload.downloadId, job),
          onFailed: (failure) => downloadJobFailed(ctx, failure),
        },
        {
          name: 'plex-sync', timeout: '10m', concurrency: 1, attempts: PLEX_ATTEMPTS, payload: byDownload,
          run: (payload, job) => runPlexSync(ctx, payload.downloadId, job),
        },
        {
          name: 'plex-forget', timeout: '5m', concurrency: 1, attempts: PLEX_ATTEMPTS, payload: forgetPayload,
          run: (payload) => runPlexForget(ctx, payload),
        },
      ],
      schedules: [
        {
          id: 'check-follows', every: ctx.config.followCheckEvery, timeout: '30m', scope: 'cluster',
          async run({ signal, log }) {
            const queued = await checkDueFollows(ctx, tools, signal)
            if (queued) log.info(`queued new items of ${queued} followed playlists`)
          },
        },
        {
          id: 'retention', every: ctx.config.retentionCheckEvery, timeout: '10m', scope: 'cluster',
          // Each source it trims is logged by applyRetention.
          async run({ signal }) { await applyRetention(ctx, signal) },
        },
        {
          id: 'plex-retry', every: '15m', timeout: '1m', scope: 'cluster',
          async run({ log }) {
            const n = await requeuePendingPlex(ctx)
            if (n) log.info(`queued the Plex step again for ${n} downloads`)
          },
        },
      ],
      eventTypes,
    }
  },
  async start(ctx) {
    // Never fails the start: without yt-dlp the plugin stays up and says why on its pages.
    const tools = toolsFor(ctx.config, ctx.clock)
    const state = await tools.check()
    if (!state.ytDlp?.ok) ctx.log.error(`yt-dlp is not usable, so downloads are refused: ${state.ytDlp && !state.ytDlp.ok ? state.ytDlp.message : 'unknown'}`)
    else {
      ctx.log.info(`yt-dlp ${state.ytDlp.version} found`)
      const stale = tools.staleWarning()
      if (stale) ctx.log.warn(stale)
    }
  },
})
