// Problem reports between us and Overseerr, both ways:
// - the `report` job sends a new report (as the person who made it, when Overseerr knows
//   them); safe to run again: a report already sent, or resolved before it went, is left;
// - the `problem-sync` job (one report, after an ISSUE_* webhook) and the poll (every open
//   sent report, in the status-sync schedule) read its status there and move ours;
// - our admins' resolve / reopen goes to Overseerr first, then moves ours.
import { Conflict, type JobFailure, type JobRunContext, type Logger } from 'medianest/plugin-api'
import { overseerrClient, type OverseerrClient, type OverseerrIssue } from './overseerr-client.ts'
import type { OverseerrContext } from './plugin-config.ts'
import { findProblem, moveProblem, OVERSEERR_ISSUE_TYPE, type ProblemRow, type ProblemStatus } from './problems.ts'
import { findOverseerrUser } from './sending.ts'

export const ISSUE_RESOLVED = 2
export const ISSUE_SYNC_BY = { webhook: 'Overseerr (webhook)', poll: 'Overseerr (status sync)' }

export async function sendProblem(ctx: OverseerrContext, problemId: string, job: Pick<JobRunContext, 'signal' | 'attempt' | 'log'>, attempts: number): Promise<void> {
  const row = await findProblem(ctx.db, problemId)
  if (!row || row.send_state !== 'sending') return
  // Resolved here before it went: nothing to tell Overseerr, and the admin page says so.
  if (row.status !== 'open') return void await markUnsent(ctx, row.id, 'Resolved here before it reached Overseerr, so it was not sent.')
  try {
    const client = await overseerrClient(ctx)
    const asUser = await findOverseerrUser(ctx, client, row.user_id, job.signal)
    const issue = await client.createIssue({
      issueType: OVERSEERR_ISSUE_TYPE[row.problem_type], message: row.message, mediaId: row.overseerr_media_id,
      problemSeason: row.season ?? 0, problemEpisode: row.episode ?? 0,
    }, asUser, job.signal)
    await ctx.db('media_problems').where({ id: row.id, send_state: 'sending' })
      .update({ send_state: 'sent', overseerr_issue_id: issue.id, send_error: null, updated_at: ctx.clock.now() })
  } catch (error) {
    const why = (error as Error).message
    if (job.attempt < attempts) {
      job.log.warn(`sending problem report ${row.id} to Overseerr failed (attempt ${job.attempt} of ${attempts}), will retry: ${why}`)
      throw error
    }
    job.log.error(`sending problem report ${row.id} to Overseerr failed ${job.attempt} times: ${why}`)
    await markUnsent(ctx, row.id, why)
  }
}

/** The report job ended for good without saying so (a timeout, a dead process). */
export async function reportJobFailed(ctx: OverseerrContext, failure: JobFailure<{ problemId: string }>): Promise<void> {
  const id = failure.payload?.problemId
  if (!id) return
  await failure.trx('media_problems').where({ id, send_state: 'sending' })
    .update({ send_state: 'failed', send_error: failure.error.slice(0, 1000), updated_at: ctx.clock.now() })
}

const markUnsent = (ctx: OverseerrContext, id: string, why: string) =>
  ctx.db('media_problems').where({ id, send_state: 'sending' }).update({ send_state: 'failed', send_error: why.slice(0, 1000), updated_at: ctx.clock.now() })

/** Our status for Overseerr's issue; an issue it no longer has was dealt with there. */
const statusOf = (issue: OverseerrIssue | null): ProblemStatus => (!issue || issue.status === ISSUE_RESOLVED ? 'resolved' : 'open')

/** Reads one sent report's status in Overseerr and moves ours to it. */
export async function syncProblem(ctx: OverseerrContext, client: OverseerrClient, row: ProblemRow, by: string, signal?: AbortSignal): Promise<ProblemRow> {
  const issue = await client.getIssue(row.overseerr_issue_id!, signal)
  // A reset Overseerr numbers issues from 1 again: another title's issue is not ours.
  if (issue?.media?.tmdbId !== undefined && issue.media.tmdbId !== row.tmdb_id) {
    ctx.log.warn(`problem report ${row.id}: Overseerr issue #${row.overseerr_issue_id} is now about another title; not synced`)
    return row
  }
  await ctx.db('media_problems').where({ id: row.id }).update({ checked_at: ctx.clock.now() })
  const to = statusOf(issue)
  if (to === row.status) return row
  return (await moveProblem(ctx, row.id, to, issue ? by : `${by}: the issue was deleted there`)) ?? row
}

export async function syncProblemJob(ctx: OverseerrContext, problemId: string, signal: AbortSignal): Promise<void> {
  const row = await findProblem(ctx.db, problemId)
  if (!row || row.overseerr_issue_id === null) return
  await syncProblem(ctx, await overseerrClient(ctx), row, ISSUE_SYNC_BY.webhook, signal)
}

/** The poll: open sent reports, least recently checked first, a batch per run. */
export async function pollOpenProblems(ctx: OverseerrContext, client: OverseerrClient, { signal, log }: { signal: AbortSignal; log: Logger }): Promise<{ checked: number; moved: number; failed: number }> {
  const rows = await ctx.db<ProblemRow>('media_problems').where({ status: 'open', send_state: 'sent' })
    .orderByRaw('checked_at asc nulls first').limit(ctx.config.syncBatchSize)
  const tally = { checked: 0, moved: 0, failed: 0 }
  for (const row of rows) {
    if (signal.aborted) break
    tally.checked++
    try {
      if ((await syncProblem(ctx, client, row, ISSUE_SYNC_BY.poll, signal)).status !== row.status) tally.moved++
    } catch (error) {
      tally.failed++
      log.warn(`status sync of problem report ${row.id} (Overseerr issue #${row.overseerr_issue_id}) failed: ${(error as Error).message}`)
    }
  }
  return tally
}

/** An admin's resolve or reopen: Overseerr first (a failure there changes nothing here), then ours. */
export async function setProblemStatus(ctx: OverseerrContext, row: ProblemRow, to: ProblemStatus, adminName: string): Promise<ProblemRow> {
  if (row.overseerr_issue_id !== null) {
    const client = await overseerrClient(ctx)
    const issue = await client.getIssue(row.overseerr_issue_id)
    if (!issue && to === 'open') throw new Conflict('Overseerr no longer has this report (it was deleted there), so it cannot be reopened: report the problem again instead.')
    if (issue) await client.setIssueStatus(row.overseerr_issue_id, to === 'resolved' ? 'resolved' : 'open')
  }
  return (await moveProblem(ctx, row.id, to, adminName)) ?? (await findProblem(ctx.db, row.id))!
}
