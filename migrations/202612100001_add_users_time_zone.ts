import type { Knex } from 'knex'

// A person's own time zone (an IANA name, chosen on /account): dates and "today" as
// their clock shows them. Null: the site's (config timeZone, else the server's).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.string('time_zone', 64).nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('time_zone')
  })
}
