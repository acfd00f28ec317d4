import type { Knex } from 'medianest/plugin-api'

// A person's own choice per event type; a type without a row follows the admin's default.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notification_preferences', (t) => {
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.string('event_type', 120).notNullable()
    t.boolean('in_app').notNullable()
    t.boolean('outbound').notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['user_id', 'event_type'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notification_preferences')
}
