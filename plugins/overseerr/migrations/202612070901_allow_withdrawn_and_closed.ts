import type { Knex } from 'medianest/plugin-api'

// Two more ends of a request: withdrawn by its requester, closed by an admin. Neither is
// open, so the title can be requested again (the partial unique index is unchanged).
const BEFORE = `'pending', 'approved', 'rejected', 'in_progress', 'downloading', 'processing', 'completed', 'failed'`

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table media_requests drop constraint media_requests_status_check')
  await knex.raw(`alter table media_requests add constraint media_requests_status_check check (status in (${BEFORE}, 'withdrawn', 'closed'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex('media_requests').whereIn('status', ['withdrawn', 'closed']).update({ status: 'failed' })
  await knex.raw('alter table media_requests drop constraint media_requests_status_check')
  await knex.raw(`alter table media_requests add constraint media_requests_status_check check (status in (${BEFORE}))`)
}
