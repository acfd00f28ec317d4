import type { Knex } from 'medianest/plugin-api'

// The seasons a tv request asked for, when it did not ask for all of them.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('media_request_seasons', (t) => {
    t.uuid('request_id').notNullable().references('id').inTable('media_requests').onDelete('CASCADE')
    t.integer('season_number').notNullable()
    t.primary(['request_id', 'season_number'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('media_request_seasons')
}
