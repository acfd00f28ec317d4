import type { Knex } from 'knex'

// Durable jobs: a row first, work second. Claimed with FOR UPDATE SKIP LOCKED,
// held by a lease that a heartbeat renews, every worker update fenced by `fence`.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('jobs', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.string('name', 120).notNullable()
    t.jsonb('payload').notNullable()
    t.integer('payload_version').notNullable().defaultTo(1)
    t.string('status', 16).notNullable().defaultTo('queued')
    t.string('dedupe_key', 200).nullable()
    t.timestamp('run_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.integer('attempts').notNullable().defaultTo(0)
    t.integer('max_attempts').notNullable().defaultTo(5)
    t.string('lease_owner', 80).nullable()
    t.timestamp('lease_expires_at', { useTz: true }).nullable()
    t.bigInteger('fence').notNullable().defaultTo(0)
    t.text('last_error').nullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('finished_at', { useTz: true }).nullable()
    t.check("status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')", [], 'jobs_status_check')
    t.index(['status', 'run_at'])
    t.index(['status', 'lease_expires_at'])
  })
  await knex.raw(
    "create unique index jobs_active_dedupe_key on jobs (name, dedupe_key) where dedupe_key is not null and status in ('queued', 'running')",
  )
  await knex.schema.createTable('schedule_runs', (t) => {
    t.string('id', 160).primary()
    t.timestamp('last_run_at', { useTz: true }).nullable()
    t.timestamp('next_run_at', { useTz: true }).notNullable()
    t.string('lease_owner', 80).nullable()
    t.timestamp('lease_expires_at', { useTz: true }).nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('schedule_runs')
  await knex.schema.dropTable('jobs')
}
