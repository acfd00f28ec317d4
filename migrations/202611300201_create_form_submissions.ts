import type { Knex } from 'knex'

// One-time form tokens that were used: a creation form sent twice (a double click with
// JavaScript off, a replayed POST) finds its token here and creates nothing the second time.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('form_submissions', (t) => {
    t.increments('id', { primaryKey: true })
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE')
    t.string('form', 64).notNullable()
    t.string('token', 64).notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['user_id', 'form', 'token'])
    // Retention: rows older than a day are deleted by the core's schedule.
    t.index(['created_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('form_submissions')
}
