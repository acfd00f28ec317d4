import type { Knex } from 'medianest/plugin-api'

// Every status change of a request: who or what, when, from → to, and a note.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('media_request_timeline', (t) => {
    t.bigIncrements('id')
    t.uuid('request_id').notNullable().references('id').inTable('media_requests').onDelete('CASCADE')
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.uuid('actor_user_id').nullable().references('id').inTable('users').onDelete('SET NULL')
    t.string('actor', 200).notNullable()
    t.string('from_status', 20).nullable()
    t.string('to_status', 20).notNullable()
    t.string('note', 1000).nullable()
  })
  await knex.raw('create index media_request_timeline_request_at on media_request_timeline (request_id, at desc)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('media_request_timeline')
}
