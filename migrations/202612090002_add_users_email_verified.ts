import type { Knex } from 'knex'

// The brief's users.email_verified: set when a person follows the link mailed to their
// address (core/account/verify-email.ts). Nobody is verified by the upgrade: an address
// typed by an admin was never proven to reach its owner.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.boolean('email_verified').notNullable().defaultTo(false)
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('email_verified')
  })
}
