import type { Knex } from 'knex'

// What admins decided about the setup guide: a step skipped ('skip:<plugin>:<id>', the
// core's own steps under 'core') or the whole guide hidden ('dismissed'). Whether a step
// is done is never stored: each plugin says so, live.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('setup_guide_marks', (t) => {
    t.string('mark', 200).primary()
    t.uuid('by_user_id').nullable().references('users.id').onDelete('SET NULL')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('setup_guide_marks')
}
