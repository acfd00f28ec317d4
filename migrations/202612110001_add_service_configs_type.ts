import type { Knex } from 'knex'

// Several services of one kind (an "overseerr" and an "overseerr-4k"): the kind a row is,
// apart from its name. Null: the name is the kind when a running plugin owns a type of
// that name, else the row is "Other" (every row written before this column reads so).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_configs', (t) => {
    t.string('service_type', 64).nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('service_configs', (t) => {
    t.dropColumn('service_type')
  })
}
