import type { Knex } from 'medianest/plugin-api'

// The admin's defaults per event type; a type without a row is on for both.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notification_defaults', (t) => {
    t.string('event_type', 120).primary()
    t.boolean('in_app').notNullable().defaultTo(true)
    t.boolean('outbound').notNullable().defaultTo(true)
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notification_defaults')
}
