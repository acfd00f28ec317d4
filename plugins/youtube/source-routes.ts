// A followed source's page (/youtube/follows/:id): its videos, newest upload first, a
// hundred at a time, each with a Pin button (a pinned video is never removed by retention)
// and, once retention removed one, when. Only the follower sees it; an item of another
// source is a 404 and nothing changes.
import path from 'node:path'
import type { Request, Response, Router } from 'medianest/plugin-api'
import { NotFound } from 'medianest/plugin-api'
import type { YoutubeContext } from './plugin-config.ts'
import { followOfRequest, type FollowRow } from './follows.ts'
import { isUuid } from './downloads.ts'
import { items, listItems, ITEMS_PAGE, type ItemRow } from './items.ts'


export const keepWords = (f: Pick<FollowRow, 'keep' | 'keep_count' | 'keep_days'>) =>
  f.keep === 'newest' ? `keeps the newest ${f.keep_count} uploads` : f.keep === 'days' ? `keeps what arrived in the last ${f.keep_days} days` : 'keeps everything'

/** `write` writes the day it was removed in the reader's zone (ctx.http.formatDate). */
const itemView = (i: ItemRow, write: (date: Date) => string) => ({
  id: i.id, name: path.basename(i.file_path).replace(/\.[^.]+$/, ''), date: i.upload_date, pinned: i.pinned,
  removed: i.deleted_at ? { iso: i.deleted_at.toISOString(), text: write(i.deleted_at) } : null,
})

export function sourceRoutes(ctx: YoutubeContext, router: Router): void {
  const render = async (req: Request, res: Response, f: FollowRow, from: number) => {
    const rows = await listItems(ctx.db, f.archive_key, from)
    await ctx.views.pageOrFragment(req, res, {
      page: 'youtube:source', fragment: 'youtube:_source', title: f.playlist_title ?? 'Followed source',
      data: { f, keep: keepWords(f), items: rows.slice(0, ITEMS_PAGE).map((i) => itemView(i, (d) => ctx.http.formatDate(req, d, 'date'))), from, next: rows.length > ITEMS_PAGE ? from + ITEMS_PAGE : null, prev: from > 0 ? Math.max(0, from - ITEMS_PAGE) : null },
    })
  }

  router.get('/follows/:id', async (req, res) => {
    const from = Number(req.query.from ?? 0)
    await render(req, res, await followOfRequest(ctx, req), Number.isInteger(from) && from >= 0 && from <= 1_000_000 ? from : 0)
  })

  router.post('/follows/:id/items/:item/pin', async (req, res) => {
    const f = await followOfRequest(ctx, req)
    const id = String(req.params.item)
    const pinned = req.body?.pinned === 'true'
    const [item] = isUuid(id) ? await items(ctx.db).where({ id, archive_key: f.archive_key }).update({ pinned }).returning('id') : []
    if (!item) throw new NotFound('No such video in this source.')
    const from = Number(req.body?.from ?? 0)
    return ctx.http.done(req, res, {
      to: `/youtube/follows/${f.id}${from > 0 && Number.isInteger(from) ? `?from=${from}` : ''}#youtube-item-${id}`,
      inPlace: () => render(req, res, f, Number.isInteger(from) && from >= 0 && from <= 1_000_000 ? from : 0),
    })
  })
}
