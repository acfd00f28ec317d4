// Following a sent request to the end. Two channels feed the same function: Overseerr's
// webhook (a delivery only says "look at request 42": the `sync` job then reads the
// request itself) and the cluster schedule that polls every open request in batches,
// for installs without the webhook. Both read Overseerr's current state and map it with
// the one table in status-mapping.ts; moves go forward only, so a replayed, late or
// duplicate delivery changes nothing.
import { UpstreamError, type Logger } from 'medianest/plugin-api'
import { overseerrClient, type OverseerrClient } from './overseerr-client.ts'
import { pollOpenProblems } from './problem-sync.ts'
import type { OverseerrContext } from './plugin-config.ts'
import { findRequest, markSeasonsAvailable, moveRequest, seasonStatesOf, type Actor, type MediaRequestRow, SYSTEM } from './requests.ts'
import { approveThere } from './sending.ts'
import { mapOverseerrState, OverseerrMediaStatus, OverseerrRequestStatus, syncMayMove } from './status-mapping.ts'
import { SENT_STATUSES } from './statuses.ts'

const reportedUnknown = new Set<string>()

export async function syncRequest(ctx: OverseerrContext, client: OverseerrClient, row: MediaRequestRow, actor: Actor, signal?: AbortSignal): Promise<MediaRequestRow> {
  if (row.overseerr_id === null || !SENT_STATUSES.includes(row.status)) return row
  let theirs
  try {
    theirs = await client.getRequest(row.overseerr_id, signal)
  } catch (error) {
    if (error instanceof UpstreamError && error.upstreamStatus === 404) {
      return (await moveRequest(ctx, { id: row.id, from: [row.status], to: 'failed', actor, note: `Overseerr no longer has request #${row.overseerr_id} (deleted there).` })) ?? row
    }
    throw error
  }
  // Overseerr's database was reset and its id names another title now: ours is gone there.
  const media = theirs.media
  if ((media?.tmdbId !== undefined && media.tmdbId !== row.tmdb_id) || (media?.mediaType !== undefined && media.mediaType !== row.media_type)) {
    ctx.log.warn(`Overseerr request #${row.overseerr_id} is now for ${media?.mediaType} ${media?.tmdbId}, not request ${row.id} (${row.media_type} ${row.tmdb_id}): Overseerr's ids were reused`)
    return (await moveRequest(ctx, { id: row.id, from: [row.status], to: 'failed', actor, note: `Overseerr no longer has request #${row.overseerr_id}: that number now names another title there (was Overseerr reset?). Try again to send it anew.` })) ?? row
  }
  if (theirs.status === OverseerrRequestStatus.PENDING) await approveThere(ctx, client, theirs.id, signal)
  let mapped = mapOverseerrState({ requestStatus: theirs.status, mediaStatus: theirs.media?.status ?? 1, downloads: theirs.media?.downloadStatus ?? [] })
  // A show is done when every season it asked for is in Plex, whatever the rest of the show does
  // (Overseerr calls the show "partially available" while others' seasons are still coming).
  // (An all-seasons request from before seasons had rows completes with the whole show.)
  const asked = row.media_type === 'tv' && mapped.status !== 'rejected' && mapped.status !== 'failed' ? await seasonStatesOf(ctx.db, row.id) : []
  if (asked.length) {
    const whole = theirs.media?.status === OverseerrMediaStatus.AVAILABLE
    const inPlex = new Set(whole ? asked.map((s) => s.season_number)
      : (theirs.media?.seasons ?? []).filter((s) => s.status === OverseerrMediaStatus.AVAILABLE).map((s) => s.seasonNumber))
    if (await markSeasonsAvailable(ctx, row, asked, inPlex, actor)) mapped = { status: 'completed', why: 'every season it asked for is in Plex' }
    else if (mapped.status === 'completed') mapped = { status: 'processing', why: 'some of its seasons are in Plex' }
  }
  if (mapped.unknown && !reportedUnknown.has(mapped.unknown)) {
    reportedUnknown.add(mapped.unknown)
    ctx.log.warn(`Overseerr sent ${mapped.unknown}, which MediaNest does not know; treated as "in progress"`)
  }
  if (!syncMayMove(row.status, mapped.status)) return row
  return (await moveRequest(ctx, { id: row.id, from: [row.status], to: mapped.status, actor, note: `Overseerr: ${mapped.why}.` })) ?? row
}

/** The `sync` job: one request, after a webhook delivery named it. */
export async function syncOne(ctx: OverseerrContext, requestId: string, signal: AbortSignal): Promise<void> {
  const row = await findRequest(ctx.db, requestId)
  if (!row || row.overseerr_id === null || !SENT_STATUSES.includes(row.status)) return
  await syncRequest(ctx, await overseerrClient(ctx), row, SYSTEM.webhook, signal)
}

/** Longer than every attempt of a send with its backoff and timeouts could take. */
export const STUCK_SEND_MS = 60 * 60 * 1000

/**
 * An approved request whose send job ended without a word (its every attempt timed out,
 * or its row was lost) would wait forever: after an hour it is marked failed, with the
 * reason, so the requester can try again.
 */
export async function failStuckSends(ctx: OverseerrContext, log: Logger): Promise<number> {
  const stuck = await ctx.db<MediaRequestRow>('media_requests').where({ status: 'approved' })
    .where('updated_at', '<', new Date(ctx.clock.nowMs() - STUCK_SEND_MS)).orderBy('updated_at').limit(ctx.config.syncBatchSize).pluck('id')
  let failed = 0
  for (const id of stuck) {
    const moved = await moveRequest(ctx, { id, from: ['approved'], to: 'failed', actor: SYSTEM.sender, note: 'Sending it to Overseerr did not finish within an hour. Try again.' })
    if (moved) failed++
  }
  if (failed) log.warn(`status sync: ${failed} approved request(s) never reached Overseerr; marked failed`)
  return failed
}

/** The schedule: every sent request, oldest first, in batches; one failure does not stop the others. */
export async function pollOpenRequests(ctx: OverseerrContext, { signal, log }: { signal: AbortSignal; log: Logger }): Promise<{ checked: number; moved: number; failed: number }> {
  await failStuckSends(ctx, log)
  const service = await ctx.services.get('overseerr')
  if (!service?.enabled || !service.apiKey) return { checked: 0, moved: 0, failed: 0 }
  const client = await overseerrClient(ctx)
  let after = '00000000-0000-0000-0000-000000000000'
  const tally = { checked: 0, moved: 0, failed: 0 }
  for (;;) {
    if (signal.aborted) break
    const batch = await ctx.db<MediaRequestRow>('media_requests').whereIn('status', SENT_STATUSES).whereNotNull('overseerr_id')
      .where('id', '>', after).orderBy('id').limit(ctx.config.syncBatchSize)
    for (const row of batch) {
      tally.checked++
      try {
        const now = await syncRequest(ctx, client, row, SYSTEM.poll, signal)
        if (now.status !== row.status) tally.moved++
      } catch (error) {
        tally.failed++
        log.warn(`status sync of request ${row.id} (Overseerr #${row.overseerr_id}) failed: ${(error as Error).message}`)
      }
    }
    if (batch.length < ctx.config.syncBatchSize) break
    after = batch[batch.length - 1].id
  }
  if (tally.moved || tally.failed) log.info(`status sync: ${tally.checked} checked, ${tally.moved} moved, ${tally.failed} failed`)
  const problems = await pollOpenProblems(ctx, client, { signal, log })
  if (problems.moved || problems.failed) log.info(`status sync of problem reports: ${problems.checked} checked, ${problems.moved} moved, ${problems.failed} failed`)
  return tally
}
