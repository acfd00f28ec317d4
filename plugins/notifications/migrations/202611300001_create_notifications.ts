import type { Knex } from 'medianest/plugin-api'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notifications', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.string('type', 120).notNullable()
    t.string('title', 200).notNullable()
    t.text('message').notNullable()
    t.boolean('read').notNullable().defaultTo(false)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('read_at', { useTz: true }).nullable()
    t.jsonb('metadata').nullable()
    // One fact makes at most one row per person, however often its delivery runs.
    t.string('fact_key', 64).notNullable()
    t.unique(['user_id', 'fact_key'])
    t.index(['user_id', 'read'])
    t.index(['user_id', 'created_at', 'id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notifications')
}
