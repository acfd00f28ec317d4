import type { Knex } from 'knex'

// Personal API tokens a user creates for scripts (Authorization: Bearer).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('session_tokens', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE')
    t.string('token_hash', 64).notNullable().unique()
    t.string('name', 100).notNullable().defaultTo('API token')
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('last_used_at', { useTz: true }).nullable()
    t.index(['user_id', 'expires_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('session_tokens')
}
