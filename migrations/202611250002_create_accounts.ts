import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE').index()
    t.string('type').notNullable()
    t.string('provider').notNullable()
    t.string('provider_account_id').notNullable()
    t.text('refresh_token').nullable()
    t.text('access_token').nullable()
    t.integer('expires_at').nullable()
    t.string('token_type').nullable()
    t.string('scope').nullable()
    t.text('id_token').nullable()
    t.string('session_state').nullable()
    t.unique(['provider', 'provider_account_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('accounts')
}
