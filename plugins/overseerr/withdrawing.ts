// Ending a request before it completes: the requester withdraws it while it still waits
// (here, or in Overseerr before anyone there approved it), an admin closes any open one
// with a reason. Overseerr is asked first, so a failure there changes nothing here; the
// move is conditional on the status read, so a withdraw racing an approval has one winner
// and the loser is told what happened.
import { Conflict, type Viewer } from 'medianest/plugin-api'
import { overseerrClient } from './overseerr-client.ts'
import type { OverseerrContext } from './plugin-config.ts'
import { actorOf, findRequest, moveRequest, type MediaRequestRow } from './requests.ts'
import { OverseerrRequestStatus } from './status-mapping.ts'
import { OPEN_STATUSES, SENT_STATUSES, STATUS_LABEL } from './statuses.ts'

/** Why the status is no longer what the action was offered for, in words. */
async function lostRace(ctx: OverseerrContext, id: string, what: string): Promise<never> {
  const now = await findRequest(ctx.db, id)
  throw new Conflict(`This request can no longer be ${what}: it is ${now ? STATUS_LABEL[now.status].toLowerCase() : 'gone'} now.`)
}

/** Whether the requester may still withdraw it: waiting here, or sent and still pending in Overseerr. */
export async function withdrawable(ctx: OverseerrContext, row: MediaRequestRow): Promise<'here' | 'there' | false> {
  if (row.status === 'pending') return 'here'
  if (row.overseerr_id === null || !SENT_STATUSES.includes(row.status)) return false
  const theirs = await (await overseerrClient(ctx)).getRequest(row.overseerr_id)
  return theirs.status === OverseerrRequestStatus.PENDING ? 'there' : false
}

export async function withdrawRequest(ctx: OverseerrContext, viewer: Viewer, row: MediaRequestRow): Promise<MediaRequestRow> {
  if (row.user_id !== viewer.id) throw new Conflict('Only the person who asked can withdraw a request; an admin closes it instead.')
  const where = await withdrawable(ctx, row)
  if (!where) {
    throw new Conflict(row.status === 'approved' || SENT_STATUSES.includes(row.status)
      ? 'Overseerr is already working on this request, so it can no longer be withdrawn; an admin can close it.'
      : `This request is ${STATUS_LABEL[row.status].toLowerCase()}: there is nothing to withdraw.`)
  }
  let note = 'Withdrawn by the person who asked.'
  if (where === 'there') {
    await (await overseerrClient(ctx)).deleteRequest(row.overseerr_id!)
    note = `Withdrawn by the person who asked; Overseerr's request #${row.overseerr_id} was deleted.`
  }
  return (await moveRequest(ctx, { id: row.id, from: [row.status], to: 'withdrawn', actor: actorOf(viewer), note })) ?? lostRace(ctx, row.id, 'withdrawn')
}

export async function closeRequest(ctx: OverseerrContext, admin: Viewer, row: MediaRequestRow, reason: string, deleteThere: boolean): Promise<MediaRequestRow> {
  if (row.status === 'approved') throw new Conflict('This request is being sent to Overseerr right now; close it in a moment, once it is there.')
  if (!OPEN_STATUSES.includes(row.status)) throw new Conflict(`This request is ${STATUS_LABEL[row.status].toLowerCase()}: only an open request can be closed.`)
  let note = reason
  if (deleteThere && row.overseerr_id !== null) {
    const deleted = await (await overseerrClient(ctx)).deleteRequest(row.overseerr_id)
    note = `${reason} (Overseerr's request #${row.overseerr_id} ${deleted ? 'was deleted' : 'was already gone'}.)`
  } else if (row.overseerr_id !== null) {
    note = `${reason} (Overseerr's request #${row.overseerr_id} was left as it is.)`
  }
  return (await moveRequest(ctx, { id: row.id, from: [row.status], to: 'closed', actor: actorOf(admin), note, extra: { reason } })) ?? lostRace(ctx, row.id, 'closed')
}
