import type { Knex } from 'medianest/plugin-api'

// One row per (fact, channel): a site channel posts a fact once even when it reached
// several people; the row is what the admin page shows (status, attempts, last error).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notification_deliveries', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('notification_id').notNullable().references('id').inTable('notifications').onDelete('CASCADE')
    t.uuid('channel_id').notNullable().references('id').inTable('notification_channels').onDelete('CASCADE')
    t.string('fact_key', 64).notNullable()
    t.string('status', 20).notNullable().defaultTo('queued')
    t.integer('attempts').notNullable().defaultTo(0)
    t.text('last_error').nullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['channel_id', 'fact_key'])
    t.index(['status', 'updated_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notification_deliveries')
}
