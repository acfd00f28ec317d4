import type { Knex } from 'medianest/plugin-api'

// The brief's youtube_downloads, plus what the download job, the live progress and the
// Plex step need: a progress figure, the archive it shares with a follow, the Plex state.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('youtube_downloads', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.text('playlist_url').notNullable()
    t.text('playlist_title')
    t.string('status', 20).notNullable().defaultTo('queued')
    t.jsonb('file_paths')
    t.string('plex_collection_id', 64)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('completed_at', { useTz: true })
    // Added for the plugin's work:
    t.string('kind', 10).notNullable().defaultTo('playlist')
    t.string('folder', 120).notNullable()
    t.uuid('archive_key').notNullable()
    t.integer('archive_start').notNullable().defaultTo(0)
    t.uuid('follow_id')
    t.uuid('job_id')
    t.integer('item_count').notNullable().defaultTo(0)
    t.integer('items_done').notNullable().defaultTo(0)
    t.float('current_percent')
    t.double('speed_bps')
    t.integer('eta_seconds')
    t.text('error')
    t.integer('worker_pid')
    t.string('plex_state', 20).notNullable().defaultTo('none')
    t.text('plex_error')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['user_id', 'status'])
    t.index(['status'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('youtube_downloads')
}
