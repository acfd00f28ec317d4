import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limits', (t) => {
    t.increments('id', { primaryKey: true })
    t.uuid('user_id').nullable().references('users.id').onDelete('CASCADE')
    t.string('endpoint', 100).notNullable()
    // Who is counted: 'user:<id>' or 'ip:<address>' (anonymous requests).
    t.string('client_key', 160).notNullable()
    t.integer('request_count').notNullable().defaultTo(0)
    t.timestamp('window_start', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['user_id', 'endpoint'])
    // Fixed windows counted with one atomic upsert on this key.
    t.unique(['endpoint', 'client_key', 'window_start'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limits')
}
