// The youtube_downloads table: one row per submitted playlist (or per batch of new items
// of a followed one). Every query that a person triggers filters by their user id.
import type { Knex } from 'medianest/plugin-api'

export type DownloadStatus = 'queued' | 'downloading' | 'completed' | 'failed' | 'cancelled'
export type PlexState = 'none' | 'pending' | 'done' | 'failed'
export const ACTIVE: DownloadStatus[] = ['queued', 'downloading']

export interface DownloadRow {
  id: string
  user_id: string
  playlist_url: string
  playlist_title: string | null
  status: DownloadStatus
  file_paths: string[] | null
  plex_collection_id: string | null
  created_at: Date
  completed_at: Date | null
  kind: 'playlist' | 'video' | 'channel'
  /** A channel's new uploads, each by address (yt-dlp gets these instead of playlist_url). */
  item_urls: string[] | null
  folder: string
  archive_key: string
  archive_start: number
  follow_id: string | null
  job_id: string | null
  item_count: number
  items_done: number
  current_percent: number | null
  /** The playlist place of the item downloading now (yt-dlp's before_dl line); null before the first. */
  current_item: number | null
  speed_bps: number | null
  eta_seconds: number | null
  error: string | null
  /** The quality profile asked for (null: the configured default). */
  profile: string | null
  /** The playlist's own thumbnail, made the folder's poster.jpg. */
  thumbnail_url: string | null
  /** Assets it could not make (a thumbnail, metadata), in words; the files themselves are fine. */
  notes: string | null
  worker_pid: number | null
  plex_state: PlexState
  plex_error: string | null
  updated_at: Date
}

export const table = (db: Knex | Knex.Transaction) => db<DownloadRow>('youtube_downloads')

export async function getDownload(db: Knex, id: string): Promise<DownloadRow | null> {
  if (!isUuid(id)) return null
  return (await table(db).where({ id }).first()) ?? null
}

/** The viewer's own download, or null (someone else's looks exactly like a missing one). */
export async function ownDownload(db: Knex, userId: string, id: string): Promise<DownloadRow | null> {
  if (!isUuid(id)) return null
  return (await table(db).where({ id, user_id: userId }).first()) ?? null
}

export async function listForUser(db: Knex, userId: string, limit = 50): Promise<DownloadRow[]> {
  return table(db).where({ user_id: userId }).orderBy('created_at', 'desc').limit(limit)
}

export async function runningForUser(db: Knex, userId: string): Promise<DownloadRow[]> {
  return table(db).where({ user_id: userId }).whereIn('status', ACTIVE).orderBy('created_at', 'asc').limit(10)
}

export async function listAll(db: Knex, limit = 200): Promise<Array<DownloadRow & { user_email: string | null }>> {
  return db('youtube_downloads as d').leftJoin('users as u', 'u.id', 'd.user_id')
    .select('d.*', 'u.email as user_email').orderBy('d.created_at', 'desc').limit(limit)
}

export async function countActive(db: Knex | Knex.Transaction, userId: string): Promise<number> {
  const row = await table(db).where({ user_id: userId }).whereIn('status', ACTIVE).select(db.raw('count(*)::int as n')).first()
  return Number((row as unknown as { n: number }).n)
}

export async function activeDuplicate(db: Knex | Knex.Transaction, userId: string, url: string): Promise<DownloadRow | null> {
  return (await table(db).where({ user_id: userId, playlist_url: url }).whereIn('status', ACTIVE).first()) ?? null
}

/** The newest download of this address by anyone: the library is shared, so a second copy helps nobody. */
export async function latestForUrl(db: Knex | Knex.Transaction, url: string): Promise<DownloadRow | null> {
  return (await table(db).where({ playlist_url: url }).orderBy('created_at', 'desc').first()) ?? null
}

/** A status change that only applies while the row is in one of `from`; returns the new row or null. */
export async function moveStatus(db: Knex | Knex.Transaction, id: string, from: DownloadStatus[], changes: Partial<DownloadRow>): Promise<DownloadRow | null> {
  const [row] = await table(db).where({ id }).whereIn('status', from)
    .update({ ...changes, file_paths: changes.file_paths === undefined ? undefined : (JSON.stringify(changes.file_paths) as never), updated_at: db.fn.now() as never })
    .returning('*')
  return row ?? null
}

export const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)

/** What the row shows: "item 3 of 12", the current item's percent, speed and time left. */
export interface ProgressView { item: number; of: number; percent: number; overall: number; speed: string | null; eta: string | null }

export function progressView(row: Pick<DownloadRow, 'status' | 'item_count' | 'items_done' | 'current_item' | 'current_percent' | 'speed_bps' | 'eta_seconds'>): ProgressView {
  const of = Math.max(row.item_count, row.items_done, row.current_item ?? 0, 1)
  const downloading = row.status === 'downloading'
  // The item yt-dlp named (every one before it is done or was skipped); its percent covers all its streams.
  const item = Math.min(downloading ? row.current_item ?? row.items_done + 1 : row.items_done, of)
  const percent = Math.max(0, Math.min(100, row.current_percent ?? 0))
  const overall = row.status === 'completed' ? 100 : downloading ? Math.min(100, ((item - 1 + percent / 100) / of) * 100) : Math.min(100, (row.items_done / of) * 100)
  return { item, of, percent: Math.round(percent * 10) / 10, overall: Math.round(overall * 10) / 10, speed: row.speed_bps ? `${humanBytes(row.speed_bps)}/s` : null, eta: row.eta_seconds !== null && row.eta_seconds !== undefined ? humanSeconds(row.eta_seconds) : null }
}

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`
}

export function humanSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}
