// After a download completes: ask Plex to scan the playlist's folder (as Plex sees it),
// wait for the new files to show up, then create the playlist's collection or add to it.
// Plex being unset, down or slow never touches the download's `completed`: the row's
// plex_state says `pending` with the reason, the job retries with backoff, and a cluster
// schedule re-queues whatever is still pending after the job's attempts.
import type { JobRunContext } from 'medianest/plugin-api'
import { plexServerRef, type PlexServer } from 'medianest/plugins/plex-auth/api'
import type { YoutubeContext } from './plugin-config.ts'
import { getDownload, table, type DownloadRow } from './downloads.ts'
import { follows } from './follows.ts'
import { playlistDir, toPlexPath } from './library-paths.ts'
import { publishRow } from './live-row.ts'

export const PLEX_ATTEMPTS = 6

export async function runPlexSync(ctx: YoutubeContext, downloadId: string, job: JobRunContext): Promise<void> {
  const row = await getDownload(ctx.db, downloadId)
  if (!row || row.status !== 'completed' || row.plex_state === 'done') return
  try {
    const collection = await syncToPlex(ctx, row, job.signal)
    const [done] = await table(ctx.db).where({ id: row.id }).update({ plex_state: 'done', plex_error: null, plex_collection_id: collection, updated_at: ctx.db.fn.now() as never }).returning('*')
    // The follow shares this download's archive (it began with it, or made it): later items join the same collection.
    if (collection) await follows(ctx.db).where({ archive_key: row.archive_key }).update({ plex_collection_id: collection })
    if (done) await publishRow(ctx, done)
  } catch (error) {
    const message = (error as Error).message.slice(0, 1000)
    const [pending] = await table(ctx.db).where({ id: row.id }).update({ plex_state: 'pending', plex_error: message, updated_at: ctx.db.fn.now() as never }).returning('*')
    if (pending) await publishRow(ctx, pending)
    throw error
  }
}

/** Returns the collection's ratingKey, or null when there was nothing to add. */
async function syncToPlex(ctx: YoutubeContext, row: DownloadRow, signal: AbortSignal): Promise<string | null> {
  const files = row.file_paths ?? []
  if (files.length === 0) return row.plex_collection_id
  const server = plexServer(ctx)
  const { folder, section } = await sectionOf(ctx, server, row.folder)
  await server.refreshPath(section.key, folder)

  const wanted = new Set(files.map((f) => toPlexPath(ctx.config.libraryPath, ctx.config.plexPath, f)))
  const deadline = ctx.clock.nowMs() + ctx.config.plexWaitMs
  let found: string[] = []
  for (;;) {
    const items = await server.findItemsByPath(section.key, folder)
    found = items.filter((i) => i.files.some((f) => wanted.has(f))).map((i) => i.ratingKey)
    if (found.length >= wanted.size || ctx.clock.nowMs() >= deadline || signal.aborted) break
    await ctx.clock.sleep(1000, signal).catch(() => undefined)
  }
  if (found.length < wanted.size) throw new Error(`Plex shows ${found.length} of the ${wanted.size} new files so far; it is still scanning. Trying again shortly.`)

  // Every download sharing this archive (the first, a follow's, a "check for new items") shares one collection.
  const existing = row.plex_collection_id
    ?? (await follows(ctx.db).where({ archive_key: row.archive_key }).whereNotNull('plex_collection_id').first())?.plex_collection_id
    ?? (await table(ctx.db).where({ archive_key: row.archive_key }).whereNotNull('plex_collection_id').first('plex_collection_id'))?.plex_collection_id
    ?? null
  if (existing) {
    await server.addToCollection(existing, found)
    return existing
  }
  return server.createCollection(section.key, (row.playlist_title ?? row.folder).slice(0, 200), found)
}

function plexServer(ctx: YoutubeContext): PlexServer {
  try {
    return ctx.use(plexServerRef)
  } catch {
    throw new Error('The plex-auth plugin is not running, so Plex cannot be asked to scan.')
  }
}

/** A download folder as Plex sees it, and the Plex library that holds it. */
async function sectionOf(ctx: YoutubeContext, server: PlexServer, downloadFolder: string) {
  const { libraryPath, plexPath } = ctx.config
  const folder = toPlexPath(libraryPath, plexPath, playlistDir(libraryPath, downloadFolder))
  const sections = await server.sections()
  const section = sections.find((s) => s.locations.some((l) => folder === l || folder.startsWith(l.replace(/\/+$/, '') + '/')))
  if (!section) throw new Error(`No Plex library contains ${folder}: add that folder to a library in Plex (or set plexPath to where Plex sees it).`)
  return { folder, section }
}

/** After a delete with files: Plex rescans the folder (so the items go), and the collection is deleted when the delete emptied it. */
export async function runPlexForget(ctx: YoutubeContext, payload: { folder: string; collectionKey: string | null }): Promise<void> {
  const server = plexServer(ctx)
  const { folder, section } = await sectionOf(ctx, server, payload.folder)
  await server.refreshPath(section.key, folder)
  if (payload.collectionKey) await server.deleteCollection(payload.collectionKey)
}

/** Completed downloads whose Plex step is still owed: queued again (deduplicated). */
export async function requeuePendingPlex(ctx: YoutubeContext): Promise<number> {
  const pending = await table(ctx.db).where({ status: 'completed' }).whereIn('plex_state', ['pending', 'failed']).limit(100).select('id')
  for (const p of pending) await ctx.jobs.enqueue('plex-sync', { downloadId: p.id }, { dedupeKey: `plex-sync:${p.id}` })
  return pending.length
}
