import type { Knex } from 'knex'

// Mail waiting to go out, sent, or failed for good (core/mail.ts). A message is a row
// before it is a job, so the per-recipient limit counts rows under a lock, and an admin
// can see what failed and why. The body is dropped once sent: a reset link must not
// outlive its use in the database.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mail_outbox', (t) => {
    t.uuid('id').primary()
    t.string('recipient', 320).notNullable()
    t.string('subject', 200).notNullable()
    /** { text, html?, headers? } until sent; null after. */
    t.jsonb('message').nullable()
    t.string('status', 10).notNullable().defaultTo('queued')
    t.integer('attempts').notNullable().defaultTo(0)
    t.text('last_error').nullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('sent_at', { useTz: true }).nullable()
    t.index(['recipient', 'created_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mail_outbox')
}
