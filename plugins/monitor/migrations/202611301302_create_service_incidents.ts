import type { Knex } from 'medianest/plugin-api'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('service_incidents', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('service_name', 200).notNullable()
    t.string('incident_type', 20).notNullable()
    t.text('description').notNullable()
    t.string('severity', 20).notNullable().defaultTo('low')
    t.string('status', 20).notNullable().defaultTo('open')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('resolved_at', { useTz: true }).nullable()
    t.jsonb('metadata').nullable()
    t.text('note').nullable()
    t.index(['service_name', 'status'])
  })
  // At most one open incident per service, whatever races.
  await knex.raw(`create unique index service_incidents_one_open on service_incidents (service_name) where status = 'open'`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('service_incidents')
}
