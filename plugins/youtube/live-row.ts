// Pushes a download's row (and its dashboard line) to its owner's open pages.
import type { YoutubeContext } from './plugin-config.ts'
import { progressView, type DownloadRow } from './downloads.ts'

export async function publishRow(ctx: YoutubeContext, row: DownloadRow): Promise<void> {
  const html = await ctx.views.render('youtube:_row-live', { d: row, p: progressView(row), csrfToken: '' })
  await ctx.live.publish('message', html, { userId: row.user_id })
}
