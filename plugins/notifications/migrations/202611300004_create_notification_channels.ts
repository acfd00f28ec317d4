import type { Knex } from 'medianest/plugin-api'

// Outbound targets: the site's (owner_user_id null, admins only) and each person's own.
// The address and the secret are sealed: a Discord webhook URL is itself a credential.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notification_channels', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('owner_user_id').nullable().references('id').inTable('users').onDelete('CASCADE')
    t.string('kind', 20).notNullable()
    t.string('name', 80).notNullable()
    t.text('url_sealed').notNullable()
    t.string('url_hint', 200).notNullable()
    t.text('secret_sealed').nullable()
    t.jsonb('settings').notNullable().defaultTo('{}')
    t.boolean('enabled').notNullable().defaultTo(true)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['owner_user_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notification_channels')
}
