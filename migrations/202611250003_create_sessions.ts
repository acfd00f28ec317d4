import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sessions', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    // The SHA-256 of the cookie's token, never the token itself.
    t.string('session_token', 64).notNullable().unique()
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE')
    // Sliding idle expiry; absolute_expires caps how far it may slide.
    t.timestamp('expires', { useTz: true }).notNullable()
    t.timestamp('absolute_expires', { useTz: true }).notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('last_used_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.string('user_agent', 512).nullable()
    t.string('ip', 64).nullable()
    t.index(['user_id', 'expires'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sessions')
}
