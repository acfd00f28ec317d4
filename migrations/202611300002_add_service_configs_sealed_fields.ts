import type { Knex } from 'knex'

// A service type's secret fields (a webhook secret, a token), each sealed with
// core/secrets.ts under `service_configs:<name>:field:<field>`: { field: 'v1:…' }.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_configs', (t) => {
    t.jsonb('sealed_fields').nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_configs', (t) => {
    t.dropColumn('sealed_fields')
  })
}
