// /youtube: the submit form, "My downloads" (live progress), followed playlists, and the
// row actions. Every action checks the row belongs to the viewer (someone else's is a 404
// and nothing changes); without JavaScript each is a plain form and a redirect back.
import fs from 'node:fs'
import path from 'node:path'
import type { Request, Response } from 'medianest/plugin-api'
import { NotFound, z } from 'medianest/plugin-api'
import type { YoutubeContext } from './plugin-config.ts'
import { listForUser, moveStatus, ownDownload, progressView, table, type DownloadRow } from './downloads.ts'
import { followOfRequest, listFollows, follows } from './follows.ts'
import { submitPlaylist } from './submissions.ts'
import { archiveFile, isInside, workDir } from './library-paths.ts'
import type { Tools } from './tools.ts'
import { publishRow } from './live-row.ts'
import { sidecarsOf } from './assets.ts'
import { sourceRoutes } from './source-routes.ts'
import { items } from './items.ts'

/** A follow's form that failed: which follow, which field, what was typed (and the keep choice, to show it again). */
export interface FollowError { id: string; field: string; message: string; value: string; keep?: string }

export interface SubmitForm {
  values: { url: string; follow: boolean; profile: string; start: string; newest: string }
  fields: Record<string, string>
  error: string | null
  notice: string | null
  duplicate: DownloadRow | null
  /** The earlier download of this address: the form offers "Check for new items". */
  inLibrary: DownloadRow | null
}

const NOTICES = {
  queued: 'Queued. Its progress shows below.',
  nothingNew: 'Nothing new: every item is already in the library.',
  cancelled: 'Cancelled.',
  retried: 'Queued again: it continues where it stopped.',
  deleted: 'Deleted.',
  unfollowed: 'No longer followed.',
  following: 'Followed: new uploads come in as they appear.',
  interval: 'Saved: the playlist is checked at the new interval.',
  keep: 'Saved: older items go at the next tidy-up (pinned ones stay).',
}
const keepBody = z.discriminatedUnion('keep', [
  z.object({ keep: z.literal('all') }),
  z.object({ keep: z.literal('newest'), count: z.coerce.number({ error: 'Give a number of uploads.' }).int('Give a whole number.').min(1, 'Keep at least 1.').max(10_000, 'At most 10,000.') }),
  z.object({ keep: z.literal('days'), days: z.coerce.number({ error: 'Give a number of days.' }).int('Give a whole number.').min(1, 'At least 1 day.').max(3650, 'At most 3,650 days (10 years).') }),
], { error: 'Choose what to keep.' })
const hoursBody = z.object({ hours: z.coerce.number({ error: 'Give a number of hours.' }).min(1, 'At least every hour.').max(720, 'At most every 720 hours (30 days).') })
const emptyForm = (notice: string | null = null): SubmitForm => ({ values: { url: '', follow: false, profile: '', start: '', newest: '' }, fields: {}, error: null, notice, duplicate: null, inLibrary: null })

export function youtubeRoutes(ctx: YoutubeContext, tools: Tools) {
  const router = ctx.http.router()
  router.use(ctx.http.requireUser)

  const render = async (req: Request, res: Response, form: SubmitForm, status = 200, followError: FollowError | null = null) => {
    const viewer = ctx.http.mustViewer(req)
    const rows = await listForUser(ctx.db, viewer.id)
    await ctx.views.pageOrFragment(req, res, {
      page: 'youtube:index', fragment: 'youtube:_main', title: 'YouTube downloads', status,
      data: {
        form, downloads: rows.map((d) => ({ d, p: progressView(d) })), follows: (await listFollows(ctx.db, viewer.id)).map((f) => ({ ...f, lastChecked: f.last_checked_at ? { iso: f.last_checked_at.toISOString(), text: ctx.http.formatDate(req, f.last_checked_at) } : null })),
        unusable: tools.state().ytDlp && !tools.state().ytDlp!.ok ? await tools.unusable() : null,
        followEveryHours: ctx.config.followEveryHours, followError, newestDefault: ctx.config.newestDefault, newestMax: ctx.config.newestMax,
        profiles: ctx.config.profiles.map((p) => ({ id: p.id, label: p.label })), defaultProfile: ctx.config.defaultProfile,
      },
    })
  }
  // After an action: the updated section for htmx, a redirect with a one-shot notice otherwise.
  const done = async (req: Request, res: Response, key: keyof typeof NOTICES) => {
    return ctx.http.done(req, res, { to: '/youtube', notice: key, inPlace: () => render(req, res, emptyForm(NOTICES[key])) })
  }

  router.get('/', async (req, res) => render(req, res, emptyForm(ctx.http.takeFlash(req, res, NOTICES))))

  router.post('/', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const rawUrl = typeof req.body?.url === 'string' ? req.body.url : ''
    const follow = req.body?.follow === 'on' || req.body?.follow === 'true'
    const profile = typeof req.body?.profile === 'string' ? req.body.profile.slice(0, 40) : ''
    const start = typeof req.body?.start === 'string' ? req.body.start.slice(0, 10) : ''
    const newest = typeof req.body?.newest === 'string' ? req.body.newest.slice(0, 10) : ''
    const result = await submitPlaylist(ctx, tools, viewer.id, { url: req.body?.url, follow, newItems: req.body?.again === 'new-items', profile: req.body?.profile, start, newest })
    if (!result.ok) {
      return render(req, res, { values: { url: rawUrl.slice(0, 2048), follow, profile, start, newest }, fields: { [result.field]: result.message }, error: null, notice: null, duplicate: result.duplicate ?? null, inLibrary: result.inLibrary ?? null }, 422)
    }
    if ('following' in result) {
      const followed = `You follow “${result.following}”: ${result.shared ? 'it is in the library already, and ' : ''}new uploads come in as they appear.`
      return ctx.http.done(req, res, { to: '/youtube', notice: 'following', inPlace: () => render(req, res, emptyForm(followed), 201) })
    }
    if (!result.download) {
      const nothingNew = `Nothing new in “${result.title}”: all ${result.items} ${result.items === 1 ? 'item is' : 'items are'} already in the library.`
      return ctx.http.done(req, res, { to: '/youtube', notice: 'nothingNew', inPlace: () => render(req, res, emptyForm(nothingNew)) })
    }
    return ctx.http.done(req, res, {
      to: '/youtube', notice: 'queued',
      inPlace: async () => {
        const d = result.download
        return render(req, res, emptyForm(`Queued “${d.playlist_title ?? d.playlist_url}”: ${d.item_count} ${d.item_count === 1 ? 'item' : 'items'}${result.followed ? ', followed' : ''}.`), 201)
      },
    })
  })

  router.post('/downloads/:id/cancel', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const row = await ownDownload(ctx.db, viewer.id, String(req.params.id))
    if (!row) throw new NotFound('No such download.')
    const cancelled = await moveStatus(ctx.db, row.id, ['queued', 'downloading'], { status: 'cancelled', speed_bps: null, eta_seconds: null, error: 'Cancelled.' })
    if (cancelled) {
      // The job's signal stops the yt-dlp process group, wherever it runs.
      if (row.job_id) await ctx.jobs.cancel(row.job_id)
      await publishRow(ctx, cancelled)
    }
    await done(req, res, 'cancelled')
  })

  router.post('/downloads/:id/retry', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const row = await ownDownload(ctx.db, viewer.id, String(req.params.id))
    if (!row) throw new NotFound('No such download.')
    await ctx.db.transaction(async (trx) => {
      const again = await moveStatus(trx, row.id, ['failed', 'cancelled'], { status: 'queued', error: null, worker_pid: null })
      if (!again) return
      const jobId = await ctx.jobs.enqueue('download', { downloadId: row.id }, { trx, dedupeKey: `download:${row.id}` })
      await table(trx).where({ id: row.id }).update({ job_id: jobId })
    })
    await done(req, res, 'retried')
  })

  // Without JavaScript, Delete opens this page; with it, the row's <dialog> asks the same.
  router.get('/downloads/:id/delete', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const row = await ownDownload(ctx.db, viewer.id, String(req.params.id))
    if (!row) throw new NotFound('No such download.')
    await ctx.views.pageOrFragment(req, res, { page: 'youtube:delete', fragment: 'youtube:delete', title: `Delete “${row.playlist_title ?? row.playlist_url}”?`, data: { d: row } })
  })

  router.post('/downloads/:id/delete', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const row = await ownDownload(ctx.db, viewer.id, String(req.params.id))
    if (!row) throw new NotFound('No such download.')
    if (row.status === 'queued' || row.status === 'downloading') {
      await moveStatus(ctx.db, row.id, ['queued', 'downloading'], { status: 'cancelled' })
      if (row.job_id) await ctx.jobs.cancel(row.job_id)
    }
    const withFiles = req.body?.files === 'on' || req.body?.files === 'true'
    let followed = false
    await ctx.db.transaction(async (trx) => {
      await table(trx).where({ id: row.id, user_id: viewer.id }).del()
      followed = Boolean(await follows(trx).where({ archive_key: row.archive_key }).first('id'))
      if (!withFiles || !row.file_paths?.length) return
      await items(trx).where({ archive_key: row.archive_key }).whereIn('file_path', row.file_paths).whereNull('deleted_at').update({ deleted_at: ctx.clock.now() })
      // Plex is told in a job, written with the delete: a crash right after it still rescans the folder,
      // and the collection goes when no other download (or follow) of this archive keeps files in it.
      const sharing = await table(trx).where({ archive_key: row.archive_key }).select('file_paths', 'plex_collection_id')
      const collection = row.plex_collection_id ?? sharing.find((o) => o.plex_collection_id)?.plex_collection_id ?? null
      const emptied = !followed && sharing.every((o) => !o.file_paths?.length)
      await ctx.jobs.enqueue('plex-forget', { folder: row.folder, collectionKey: emptied ? collection : null }, { trx })
    })
    if (withFiles) removeFiles(ctx, row, followed)
    await done(req, res, 'deleted')
  })

  router.post('/follows/:id/stop', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const f = await followOfRequest(ctx, req)
    await follows(ctx.db).where({ id: f.id, user_id: viewer.id }).del()
    await done(req, res, 'unfollowed')
  })

  router.post('/follows/:id/interval', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const f = await followOfRequest(ctx, req)
    const checked = ctx.http.validate(hoursBody, req.body)
    if (!checked.ok) {
      const value = typeof req.body?.hours === 'string' ? req.body.hours.slice(0, 20) : ''
      return render(req, res, emptyForm(), 422, { id: f.id, field: 'hours', message: checked.fields.hours ?? checked.message, value })
    }
    const hours = checked.data.hours
    await follows(ctx.db).where({ id: f.id, user_id: viewer.id }).update({ every_hours: hours, next_check_at: new Date(ctx.clock.nowMs() + hours * 3_600_000) })
    await done(req, res, 'interval')
  })

  router.post('/follows/:id/keep', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const f = await followOfRequest(ctx, req)
    const checked = ctx.http.validate(keepBody, req.body)
    if (!checked.ok) {
      const field = checked.fields.count ? 'count' : checked.fields.days ? 'days' : 'keep'
      const value = typeof req.body?.[field] === 'string' ? String(req.body[field]).slice(0, 20) : ''
      return render(req, res, emptyForm(), 422, { id: f.id, field, message: checked.fields[field] ?? checked.message, value, keep: String(req.body?.keep ?? '').slice(0, 10) })
    }
    const rule = checked.data
    await follows(ctx.db).where({ id: f.id, user_id: viewer.id }).update({
      keep: rule.keep, keep_count: rule.keep === 'newest' ? rule.count : null, keep_days: rule.keep === 'days' ? rule.days : null,
    })
    await done(req, res, 'keep')
  })

  sourceRoutes(ctx, router)
  return router
}

/** Only what this download wrote: its recorded files (each checked inside the library) and its working folder. */
function removeFiles(ctx: YoutubeContext, row: DownloadRow, followed: boolean): void {
  const lib = ctx.config.libraryPath
  for (const file of row.file_paths ?? []) {
    if (!isInside(lib, file)) continue
    // Its thumbnail and subtitles go with it: named after it, made by this download.
    for (const sidecar of sidecarsOf(file)) fs.rmSync(sidecar, { force: true })
    fs.rmSync(file, { force: true })
  }
  fs.rmSync(workDir(lib, row.id), { recursive: true, force: true })
  // The archive goes only with the download that made it, and only while no follow still reads it.
  if (row.archive_key === row.id && !followed) fs.rmSync(archiveFile(lib, row.archive_key), { force: true })
  const dir = row.file_paths?.[0] ? row.file_paths[0].replace(/\/[^/]+$/, '') : null
  if (dir && isInside(lib, dir)) {
    // The poster is the folder's: it goes when nothing else is left beside it.
    const left = fs.existsSync(dir) ? fs.readdirSync(dir) : []
    if (left.length === 1 && left[0] === 'poster.jpg') fs.rmSync(path.join(dir, 'poster.jpg'), { force: true })
    try { fs.rmdirSync(dir) } catch { /* not empty: other files are not ours to remove */ }
  }
}
