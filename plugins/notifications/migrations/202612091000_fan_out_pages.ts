import type { Knex } from 'medianest/plugin-api'

// A fact for many people is written a page at a time, each page a job (fan-out.ts). A
// page's successor is queued once per (fact, cursor) for ever: the core's dedupe key
// holds only while a job waits or runs, so a page run again after its successor finished
// would otherwise walk the rest of the audience a second time.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notification_fan_out_pages', (t) => {
    t.string('fact_key', 64).notNullable()
    /** The user id the page starts after. */
    t.uuid('after').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.primary(['fact_key', 'after'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notification_fan_out_pages')
}
