import type { Knex } from 'knex'

// One-time codes (first-admin setup, password reset): the token column holds a hash.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('verification_tokens', (t) => {
    t.string('identifier').notNullable().index()
    t.string('token', 64).notNullable().unique()
    t.timestamp('expires', { useTz: true }).notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('verification_tokens')
}
