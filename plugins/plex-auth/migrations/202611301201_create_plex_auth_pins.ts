import type { Knex } from 'medianest/plugin-api'

// One PIN per browser that pressed "Sign in with Plex": found only by the hash of that
// browser's cookie, so a PIN id alone gets nobody anything.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('plex_auth_pins', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('browser_hash', 64).notNullable().unique()
    t.bigInteger('pin_id').notNullable()
    t.string('code', 100).notNullable()
    t.string('next', 2000).notNullable().defaultTo('/')
    t.timestamp('expires_at', { useTz: true }).notNullable().index()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('plex_auth_pins')
}
