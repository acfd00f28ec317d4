import type { Knex } from 'medianest/plugin-api'

// Quality profiles and Plex-ready files: each download (and follow) keeps the profile it
// was asked with (null: the configured default), the playlist's own thumbnail (the
// folder's poster.jpg), and notes on assets it could not make (a thumbnail, metadata).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('youtube_downloads', (t) => {
    t.string('profile', 40).nullable()
    t.text('thumbnail_url').nullable()
    t.text('notes').nullable()
  })
  await knex.schema.alterTable('youtube_follows', (t) => { t.string('profile', 40).nullable() })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('youtube_follows', (t) => { t.dropColumn('profile') })
  await knex.schema.alterTable('youtube_downloads', (t) => {
    t.dropColumn('notes')
    t.dropColumn('thumbnail_url')
    t.dropColumn('profile')
  })
}
