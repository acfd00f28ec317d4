import type { Knex } from 'medianest/plugin-api'

// Followed playlists: re-checked on a schedule; new items are queued as a download that
// shares the first download's archive, so what is on disk is skipped.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('youtube_follows', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'))
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.text('playlist_url').notNullable()
    t.text('playlist_title')
    t.string('folder', 120).notNullable()
    t.uuid('archive_key').notNullable()
    t.double('every_hours')
    t.string('plex_collection_id', 64)
    t.timestamp('next_check_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('last_checked_at', { useTz: true })
    t.text('last_error')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['user_id', 'playlist_url'])
    t.index(['next_check_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('youtube_follows')
}
