import type { Knex } from 'medianest/plugin-api'

// Problem reports (Overseerr calls them issues): ours first, then sent to Overseerr by
// the durable `report` job, so a report made while Overseerr is down is not lost.
//   status      open | resolved (synced both ways: our admins, Overseerr's webhook and poll)
//   send_state  sending (not in Overseerr yet) | sent (overseerr_issue_id known) | failed
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('media_problems', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.string('media_type', 10).notNullable()
    t.integer('tmdb_id').notNullable()
    t.string('title', 500).notNullable()
    t.integer('overseerr_media_id').notNullable()
    t.integer('overseerr_issue_id').nullable()
    t.string('problem_type', 20).notNullable()
    t.integer('season').nullable()
    t.integer('episode').nullable()
    t.text('message').notNullable()
    t.string('status', 10).notNullable().defaultTo('open')
    t.string('send_state', 10).notNullable().defaultTo('sending')
    t.text('send_error').nullable()
    t.string('resolved_by', 200).nullable()
    t.timestamp('resolved_at', { useTz: true }).nullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('checked_at', { useTz: true }).nullable()
    t.index(['status', 'created_at'])
    t.index(['user_id', 'created_at'])
    t.index(['tmdb_id', 'media_type'])
    t.index(['overseerr_issue_id'])
  })
  await knex.raw(`alter table media_problems add constraint media_problems_media_type_check check (media_type in ('movie', 'tv'))`)
  await knex.raw(`alter table media_problems add constraint media_problems_type_check check (problem_type in ('video', 'audio', 'subtitles', 'other'))`)
  await knex.raw(`alter table media_problems add constraint media_problems_status_check check (status in ('open', 'resolved'))`)
  await knex.raw(`alter table media_problems add constraint media_problems_send_check check (send_state in ('sending', 'sent', 'failed'))`)
  await knex.raw(`alter table media_problems add constraint media_problems_message_check check (char_length(message) between 1 and 2000)`)
  await knex.raw(`alter table media_problems add constraint media_problems_numbers_check check ((season is null or season between 0 and 1000) and (episode is null or episode between 1 and 10000))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('media_problems')
}
