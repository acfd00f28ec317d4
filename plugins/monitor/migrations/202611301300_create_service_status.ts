import type { Knex } from 'medianest/plugin-api'

// The brief's service_status, plus what a scheduler and a board need: who the row
// stands for (a configured service, an extra check, an Uptime Kuma mirror), when it is
// next due (claimed atomically, so two processes never both check it), and the reason.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('service_status', (t) => {
    t.increments('id').primary()
    t.string('service_name', 200).notNullable().unique()
    t.string('status', 20).nullable()
    t.integer('response_time_ms').nullable()
    t.timestamp('last_check_at', { useTz: true }).nullable().index()
    t.decimal('uptime_percentage', 5, 2).nullable()
    t.string('display_name', 200).notNullable()
    t.string('source', 20).notNullable()
    t.text('target').nullable()
    t.text('message').nullable()
    t.string('severity', 20).notNullable().defaultTo('medium')
    t.integer('interval_ms').notNullable()
    t.integer('consecutive_failures').notNullable().defaultTo(0)
    t.timestamp('next_check_at', { useTz: true }).nullable()
    t.timestamp('status_since', { useTz: true }).nullable()
    t.jsonb('details').nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('service_status')
}
