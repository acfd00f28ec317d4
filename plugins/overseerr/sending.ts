// Sending an approved request to Overseerr: the `send` job. It is safe to run again (it
// acts only on a request still `approved`), and a send whose answer was lost is found
// again: Overseerr then says the title is already requested (409, or 202 for tv), and
// the existing Overseerr request is linked instead. After the last attempt the request
// is marked `failed` with the reason, never left waiting silently.
import type { JobFailure, JobRunContext } from 'medianest/plugin-api'
import { overseerrClient, type OverseerrClient } from './overseerr-client.ts'
import type { OverseerrContext } from './plugin-config.ts'
import { findRequest, moveRequest, moveRequestIn, publishChange, seasonsOf, SYSTEM, type MediaRequestRow } from './requests.ts'
import { OverseerrMediaStatus, OverseerrRequestStatus } from './status-mapping.ts'

/**
 * The Overseerr user who is this person: by their linked Plex account's id, else by
 * email. null when there is none (the request is then made as the key's user).
 */
export async function findOverseerrUser(ctx: OverseerrContext, client: OverseerrClient, userId: string, signal?: AbortSignal): Promise<number | null> {
  const person = await ctx.users.get(userId)
  if (!person) return null
  const plexId = person.accounts.find((a) => a.provider === 'plex')?.providerAccountId ?? null
  const email = person.email.toLowerCase()
  let byEmail: number | null = null
  for await (const u of client.users(signal)) {
    if (plexId !== null && u.plexId != null && String(u.plexId) === plexId) return u.id
    if (byEmail === null && u.email && u.email.toLowerCase() === email) byEmail = u.id
  }
  return byEmail
}

export async function sendRequest(ctx: OverseerrContext, requestId: string, job: Pick<JobRunContext, 'signal' | 'attempt' | 'log'>): Promise<void> {
  const row = await findRequest(ctx.db, requestId)
  if (!row || row.status !== 'approved') return
  try {
    await sendOnce(ctx, row, job.signal)
  } catch (error) {
    const why = (error as Error).message
    if (job.attempt < ctx.config.sendAttempts) {
      job.log.warn(`sending request ${row.id} to Overseerr failed (attempt ${job.attempt} of ${ctx.config.sendAttempts}), will retry: ${why}`)
      throw error
    }
    job.log.error(`sending request ${row.id} to Overseerr failed ${job.attempt} times, marked failed: ${why}`)
    await moveRequest(ctx, {
      id: row.id, from: ['approved'], to: 'failed', actor: SYSTEM.sender,
      note: `Could not send it to Overseerr after ${job.attempt} attempts: ${why}`,
    })
  }
}

/**
 * The send job failed for good without saying so itself: its last attempt timed out, or
 * the process running it died. The request must not stay approved with nothing sent.
 */
export async function sendJobFailed(ctx: OverseerrContext, failure: JobFailure<{ requestId: string }>): Promise<void> {
  const id = failure.payload?.requestId
  if (!id) return
  const row = await moveRequestIn(ctx, failure.trx, {
    id, from: ['approved'], to: 'failed', actor: SYSTEM.sender, note: `Could not send it to Overseerr: ${failure.error}`,
  })
  if (!row) return
  failure.log.error(`sending request ${id} to Overseerr failed for good (${failure.error}), marked failed`)
  failure.afterCommit(() => publishChange(ctx, row))
}

async function sendOnce(ctx: OverseerrContext, row: MediaRequestRow, signal: AbortSignal): Promise<void> {
  const client = await overseerrClient(ctx)
  let asUser: number | null = null
  try {
    asUser = await findOverseerrUser(ctx, client, row.user_id, signal)
  } catch (error) {
    // A key without MANAGE_USERS cannot list users: the request goes in as the key's user.
    ctx.log.warn(`could not list Overseerr's users to find the requester of ${row.id}: ${(error as Error).message}`)
  }
  const seasons = row.media_type === 'tv' ? (row.all_seasons ? 'all' as const : await seasonsOf(ctx.db, row.id)) : undefined
  const answer = await client.createRequest({ mediaType: row.media_type, mediaId: row.tmdb_id!, ...(seasons ? { seasons } : {}), is4k: false }, asUser, signal)

  if (answer.kind === 'exists') {
    const details = await client.details(row.media_type, row.tmdb_id!, signal)
    const theirs = (details.mediaInfo?.requests ?? []).filter((r) => r.status !== OverseerrRequestStatus.DECLINED).sort((a, b) => b.id - a.id)[0]
    if (theirs) {
      await moveRequest(ctx, {
        id: row.id, from: ['approved'], to: 'in_progress', actor: SYSTEM.sender, set: { overseerr_id: theirs.id },
        note: `Overseerr already had this title requested (“${answer.message}”); linked to its request #${theirs.id}.`,
      })
      return
    }
    if (details.mediaInfo?.status === OverseerrMediaStatus.AVAILABLE) {
      await moveRequest(ctx, { id: row.id, from: ['approved'], to: 'completed', actor: SYSTEM.sender, note: 'Overseerr says it is already available in Plex.' })
      return
    }
    throw new Error(`Overseerr refused the request (“${answer.message}”) but lists no request for this title`)
  }

  const sent = answer.request
  const moved = await moveRequest(ctx, {
    id: row.id, from: ['approved'], to: 'in_progress', actor: SYSTEM.sender, set: { overseerr_id: sent.id },
    note: `Sent to Overseerr as request #${sent.id}, ${asUser === null ? "as the API key's user" : `on behalf of Overseerr user #${asUser}`}.`,
  })
  if (moved && sent.status === OverseerrRequestStatus.PENDING) await approveThere(ctx, client, sent.id, signal)
}

/** Our admin (or our auto-approval) already approved it: Overseerr should not ask again. */
export async function approveThere(ctx: OverseerrContext, client: OverseerrClient, overseerrId: number, signal?: AbortSignal): Promise<void> {
  try {
    await client.approve(overseerrId, signal)
  } catch (error) {
    // The status sync sees it still pending and tries again.
    ctx.log.warn(`could not approve Overseerr request #${overseerrId} there: ${(error as Error).message}`)
  }
}
