import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('error_logs', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('correlation_id', 64).notNullable().index()
    t.uuid('user_id').nullable().references('users.id').onDelete('SET NULL')
    t.string('error_code', 64).notNullable()
    t.text('error_message').notNullable()
    t.text('stack_trace').nullable()
    t.text('request_path').notNullable()
    t.string('request_method', 10).notNullable()
    t.integer('status_code').nullable()
    t.jsonb('metadata').nullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).index()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('error_logs')
}
