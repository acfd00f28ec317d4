// youtube_items: each finished file of a source (its archive), recorded when yt-dlp reports
// it and it reads back whole. Retention deletes only what is listed here; a pinned item is
// never deleted; a deleted one keeps its row (the source's page says what went, and when).
import type { Knex } from 'medianest/plugin-api'

export interface ItemRow {
  id: string
  archive_key: string
  download_id: string | null
  video_id: string
  file_path: string
  /** YYYY-MM-DD from yt-dlp, or null when the site gives none. */
  upload_date: string | null
  downloaded_at: Date
  pinned: boolean
  deleted_at: Date | null
}

export const items = (db: Knex | Knex.Transaction) => db<ItemRow>('youtube_items')

/** One finished file; a re-download of a deleted item (its archive line taken out) lists it again. */
export async function recordItem(db: Knex, item: { archiveKey: string; downloadId: string; videoId: string; filePath: string; uploadDate: string | null }): Promise<void> {
  await items(db).insert({
    archive_key: item.archiveKey, download_id: item.downloadId, video_id: item.videoId.slice(0, 64), file_path: item.filePath, upload_date: item.uploadDate,
  }).onConflict(['archive_key', 'video_id']).merge(['download_id', 'file_path', 'upload_date', 'deleted_at'] as never)
}

export const ITEMS_PAGE = 100

/** A source's items, newest upload first, a page at a time (`after`: the last row's place). */
export async function listItems(db: Knex, archiveKey: string, offset = 0): Promise<ItemRow[]> {
  return items(db).where({ archive_key: archiveKey })
    .orderByRaw('upload_date desc nulls last, downloaded_at desc, id')
    .offset(offset).limit(ITEMS_PAGE + 1)
}
