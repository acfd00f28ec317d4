import type { Knex } from 'medianest/plugin-api'

// The item yt-dlp is downloading now (its place in the playlist, from yt-dlp's own
// before_dl line): "item 2 of 3" names the one actually downloading, not the archive's
// count of finished ones plus one, which lags while an item is post-processed.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('youtube_downloads', (t) => { t.integer('current_item').nullable() })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('youtube_downloads', (t) => { t.dropColumn('current_item') })
}
