import type { Knex } from 'medianest/plugin-api'

// The brief's MediaRequest, plus what the lifecycle needs (seasons flag, year, poster,
// updated_at). Open statuses share one partial unique index: two open requests for one
// title cannot both exist, whatever the code above it does.
const OPEN_STATUS_SQL = `status in ('pending', 'approved', 'in_progress', 'downloading', 'processing')`

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('media_requests', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.string('title', 500).notNullable()
    t.string('media_type', 10).notNullable()
    t.integer('tmdb_id').nullable()
    t.string('status', 20).notNullable().defaultTo('pending')
    t.integer('overseerr_id').nullable()
    t.boolean('all_seasons').notNullable().defaultTo(false)
    t.integer('year').nullable()
    t.string('poster_path', 300).nullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('completed_at', { useTz: true }).nullable()
    t.index(['user_id', 'status'])
    t.index(['created_at'])
    t.index(['tmdb_id', 'media_type'])
    t.index(['overseerr_id'])
  })
  await knex.raw(`alter table media_requests add constraint media_requests_media_type_check check (media_type in ('movie', 'tv'))`)
  await knex.raw(`alter table media_requests add constraint media_requests_status_check check (status in
    ('pending', 'approved', 'rejected', 'in_progress', 'downloading', 'processing', 'completed', 'failed'))`)
  await knex.raw(`create unique index media_requests_one_open on media_requests (tmdb_id, media_type) where ${OPEN_STATUS_SQL}`)
  // Keyset pages: "my requests" newest first, and the admin queue by status then age.
  await knex.raw('create index media_requests_user_created on media_requests (user_id, created_at desc, id desc)')
  await knex.raw('create index media_requests_status_created on media_requests (status, created_at desc, id desc)')
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('media_requests')
}
