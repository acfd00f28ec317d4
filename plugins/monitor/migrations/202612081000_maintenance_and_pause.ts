import type { Knex } from 'medianest/plugin-api'

// Maintenance windows (one-off, or weekly at a local time in a time zone) for one or
// several watched services, and a pause per service. Services are named as in
// service_status (a window outlives a status row that comes and goes with its service).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('monitor_maintenance', (t) => {
    t.increments('id').primary()
    t.string('title', 120).notNullable()
    t.jsonb('services').notNullable()
    /** 'once': starts_at to ends_at; 'weekly': on `weekdays` (1 Monday … 7 Sunday) at start_time for duration_minutes, in time_zone. */
    t.string('kind', 10).notNullable()
    t.timestamp('starts_at', { useTz: true }).nullable()
    t.timestamp('ends_at', { useTz: true }).nullable()
    t.jsonb('weekdays').nullable()
    t.string('start_time', 5).nullable()
    t.integer('duration_minutes').nullable()
    t.string('time_zone', 64).notNullable()
    t.uuid('created_by').nullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.schema.alterTable('service_status', (t) => {
    t.timestamp('paused_at', { useTz: true }).nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_status', (t) => {
    t.dropColumn('paused_at')
  })
  await knex.schema.dropTable('monitor_maintenance')
}
