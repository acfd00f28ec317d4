import type { Knex } from 'medianest/plugin-api'

// The timeline reads "… by <actor>": "by Sending to Overseerr" and "by Auto-approval" did
// not say who. The system's steps now name MediaNest, the older rows too.
const RENAMED: Array<[string, string]> = [
  ['Sending to Overseerr', 'MediaNest (sending to Overseerr)'],
  ['Auto-approval', 'MediaNest (auto-approval)'],
]

export async function up(knex: Knex): Promise<void> {
  for (const [from, to] of RENAMED) await knex('media_request_timeline').whereNull('actor_user_id').where({ actor: from }).update({ actor: to })
}

export async function down(knex: Knex): Promise<void> {
  for (const [from, to] of RENAMED) await knex('media_request_timeline').whereNull('actor_user_id').where({ actor: to }).update({ actor: from })
}
