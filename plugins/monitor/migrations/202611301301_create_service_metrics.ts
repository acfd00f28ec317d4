import type { Knex } from 'medianest/plugin-api'

// Raw check results, kept `rawRetention` (7 days): one 'up' row (1/0) per check and one
// 'response_time_ms' row when the target answered.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('service_metrics', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('service_name', 200).notNullable()
    t.string('metric_name', 40).notNullable()
    t.double('metric_value').notNullable()
    t.timestamp('timestamp', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.jsonb('metadata').nullable()
    t.index(['service_name', 'metric_name', 'timestamp'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('service_metrics')
}
