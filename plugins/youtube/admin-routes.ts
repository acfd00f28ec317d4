// /admin/youtube (behind the core's admin guard): every download, disk space under the
// library, the yt-dlp and ffmpeg found, and a warning when yt-dlp is old or missing.
import type { YoutubeContext } from './plugin-config.ts'
import { humanBytes, listAll, progressView } from './downloads.ts'
import { diskUse } from './library-paths.ts'
import type { Tools } from './tools.ts'

export function adminRoutes(ctx: YoutubeContext, tools: Tools) {
  const router = ctx.http.router()
  router.get('/', async (req, res) => {
    const state = tools.state().ytDlp ? tools.state() : await tools.check()
    const disk = await diskUse(ctx.config.libraryPath)
    const rows = await listAll(ctx.db)
    await ctx.views.pageOrFragment(req, res, {
      page: 'youtube:admin', fragment: 'youtube:_admin', title: 'YouTube downloads (admin)',
      data: {
        tools: state, ageDays: tools.ageDays(), stale: tools.staleWarning(), libraryPath: ctx.config.libraryPath,
        disk: disk ? { free: humanBytes(disk.freeBytes), total: humanBytes(disk.totalBytes), used: humanBytes(disk.usedByLibraryBytes) } : null,
        downloads: rows.map((d) => ({ d, p: progressView(d), created: { iso: d.created_at.toISOString(), text: ctx.http.formatDate(req, d.created_at) } })),
      },
    })
  })
  return router
}
