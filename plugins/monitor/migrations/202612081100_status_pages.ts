import type { Knex } from 'medianest/plugin-api'

// Public status pages: what an admin chose to show at /status/<slug> to people who are
// not signed in. `groups` is [{ name, services: [service_name…] }] in the admin's order;
// nothing else about a service (its address, its reasons) is ever on the page.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('monitor_status_pages', (t) => {
    t.increments('id').primary()
    t.string('slug', 40).notNullable().unique()
    t.string('title', 120).notNullable()
    t.text('description').notNullable().defaultTo('')
    /** The admin's current message on the page ("Plex moves to a new disk tonight"). */
    t.text('notice').notNullable().defaultTo('')
    t.jsonb('groups').notNullable()
    /** Whether the page lists its services' incidents of the last 7 days (times only, never reasons). */
    t.boolean('show_incidents').notNullable().defaultTo(false)
    /** Off until the admin publishes it: signed out, an unpublished page is a 404. */
    t.boolean('published').notNullable().defaultTo(false)
    t.uuid('updated_by').nullable()
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('monitor_status_pages')
}
