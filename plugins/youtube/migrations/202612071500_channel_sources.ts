import type { Knex } from 'medianest/plugin-api'

// Channels as sources: a follow says whether it is a channel (listed newest first, read a
// page at a time) and keeps the channel's avatar (its folder's poster.jpg). A download of a
// channel's new uploads lists each one's address (item_urls): yt-dlp fetches exactly those,
// so an upload that lands while the download waits in the queue is never skipped.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('youtube_follows', (t) => {
    t.string('kind', 16).notNullable().defaultTo('playlist')
    t.text('thumbnail_url').nullable()
  })
  await knex.schema.alterTable('youtube_downloads', (t) => { t.jsonb('item_urls').nullable() })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('youtube_downloads', (t) => { t.dropColumn('item_urls') })
  await knex.schema.alterTable('youtube_follows', (t) => {
    t.dropColumn('thumbnail_url')
    t.dropColumn('kind')
  })
}
