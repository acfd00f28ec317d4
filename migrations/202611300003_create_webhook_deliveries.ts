import type { Knex } from 'knex'

// One row per webhook delivery that named a dedupe key: a repeat of the key is answered
// without running the handler again. Pruned by the core's retention schedule.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id', { primaryKey: true })
    t.string('plugin', 40).notNullable()
    t.string('webhook', 64).notNullable()
    t.string('dedupe_key', 255).notNullable()
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['plugin', 'webhook', 'dedupe_key'])
    t.index(['received_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries')
}
