import type { Knex } from 'knex'

// Fragments pushed to pages, kept briefly so a reconnecting page replays what it
// missed (Last-Event-ID) whichever process it reconnects to.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('live_events', (t) => {
    t.bigIncrements('id', { primaryKey: true })
    t.string('event', 120).notNullable()
    t.text('html').notNullable()
    t.uuid('user_id').nullable()
    t.string('role', 16).nullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).index()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('live_events')
}
