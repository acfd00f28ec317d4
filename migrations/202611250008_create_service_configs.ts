import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('service_configs', (t) => {
    t.increments('id', { primaryKey: true })
    t.string('service_name', 64).notNullable().unique()
    t.text('service_url').notNullable()
    // Sealed with core/secrets.ts (AES-256-GCM), never plaintext.
    t.text('api_key').nullable()
    t.boolean('enabled').notNullable().defaultTo(true)
    t.jsonb('config_data').nullable()
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.uuid('updated_by').nullable().references('users.id').onDelete('SET NULL')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('service_configs')
}
