import type { Knex } from 'medianest/plugin-api'

// The daily re-check's result per Plex-linked user: what admins read on /admin/plex-auth.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('plex_auth_checks', (t) => {
    t.uuid('user_id').primary()
    t.string('plex_id', 255).notNullable()
    t.string('outcome', 20).notNullable()
    t.string('reason', 500)
    t.timestamp('checked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('plex_auth_checks')
}
