import type { Knex } from 'medianest/plugin-api'

// Hourly rollups of service_metrics, kept a year: counts are integers so uptime over
// any window is exact before and after raw rows are rolled up and deleted.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('service_metrics_hourly', (t) => {
    t.string('service_name', 200).notNullable()
    t.timestamp('hour', { useTz: true }).notNullable()
    t.integer('samples').notNullable()
    t.integer('up_count').notNullable()
    t.double('avg_ms').nullable()
    t.double('p95_ms').nullable()
    t.double('max_ms').nullable()
    t.primary(['service_name', 'hour'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('service_metrics_hourly')
}
