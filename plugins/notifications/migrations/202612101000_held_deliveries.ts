import type { Knex } from 'medianest/plugin-api'

// Email summaries hold their deliveries ('held') until the channel's hour or daily time;
// each minute the summary schedule asks which channels hold something and since when.
// Partial: held rows are few beside the sent ones, and only they are asked about.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create index notification_deliveries_held on notification_deliveries (channel_id, created_at) where status = 'held'`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index notification_deliveries_held')
}
