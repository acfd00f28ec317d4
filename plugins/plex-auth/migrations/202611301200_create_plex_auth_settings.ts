import type { Knex } from 'medianest/plugin-api'

// Small facts of this install: the X-Plex-Client-Identifier (stable for life), the last re-check.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('plex_auth_settings', (t) => {
    t.string('key', 64).primary()
    t.text('value').notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('plex_auth_settings')
}
