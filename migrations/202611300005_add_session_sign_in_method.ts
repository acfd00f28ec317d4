import type { Knex } from 'knex'

// How a session was signed in ('password', or a plugin's provider such as 'plex'), so a
// plugin can end the sessions that rest on its provider when that provider withdraws
// (a revoked Plex token) and leave the others alone.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.string('sign_in_method', 40).notNullable().defaultTo('password')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.dropColumn('sign_in_method')
  })
}
