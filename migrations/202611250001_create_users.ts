import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('plex_id').nullable().unique()
    t.string('plex_username').nullable()
    // Stored lower-cased so the unique index is case-insensitive.
    t.string('email', 254).notNullable().unique()
    t.string('name').nullable()
    t.string('role').notNullable().defaultTo('USER')
    t.text('plex_token').nullable()
    t.text('image').nullable()
    t.boolean('requires_password_change').notNullable().defaultTo(false)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('last_login_at', { useTz: true }).nullable()
    t.string('status').notNullable().defaultTo('active')
    t.text('password_hash').nullable()
    t.check("role in ('ADMIN', 'USER')", [], 'users_role_check')
    t.check("status in ('active', 'suspended')", [], 'users_status_check')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users')
}
