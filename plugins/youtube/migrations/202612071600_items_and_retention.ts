import type { Knex } from 'medianest/plugin-api'

// Retention: each finished file is an item of its source (archive_key), with its upload
// date, when it arrived and whether someone pinned it. Retention deletes only files listed
// here (what this plugin wrote and recorded) and keeps the row, marked deleted, so the page
// says what went and when. Each follow says how much of its source to keep.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('youtube_items', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('archive_key').notNullable()
    t.uuid('download_id').nullable().references('id').inTable('youtube_downloads').onDelete('SET NULL')
    t.string('video_id', 64).notNullable()
    t.text('file_path').notNullable()
    t.date('upload_date').nullable()
    t.timestamp('downloaded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.boolean('pinned').notNullable().defaultTo(false)
    t.timestamp('deleted_at', { useTz: true }).nullable()
    t.unique(['archive_key', 'video_id'])
    t.index(['archive_key', 'upload_date'])
  })
  await knex.schema.alterTable('youtube_follows', (t) => {
    t.string('keep', 8).notNullable().defaultTo('all')
    t.integer('keep_count').nullable()
    t.integer('keep_days').nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('youtube_follows', (t) => {
    t.dropColumn('keep_days')
    t.dropColumn('keep_count')
    t.dropColumn('keep')
  })
  await knex.schema.dropTable('youtube_items')
}
