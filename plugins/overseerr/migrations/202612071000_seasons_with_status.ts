import type { Knex } from 'medianest/plugin-api'

// Seasons as rows of their own: each knows its show (tmdb_id) and its state, so the
// dedupe is per (show, season) among open asks, and a season in Plex is marked on its
// own. A request for a show now always lists its seasons ("all seasons" is written out
// as the ones nobody has asked for); the request-wide one-open index stays for movies
// and for the shows asked for whole before this change (all_seasons, no season rows:
// the code treats them as asking for every season).
//   open       asked for, not in Plex yet (follows its request while the request is open)
//   available  in Plex
//   ended      its request ended without it (rejected, failed, withdrawn, closed)
const OPEN_REQUEST = `('pending', 'approved', 'in_progress', 'downloading', 'processing')`

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('media_request_seasons', (t) => {
    t.integer('tmdb_id')
    t.string('status', 20).notNullable().defaultTo('open')
  })
  await knex.raw(`update media_request_seasons s set tmdb_id = r.tmdb_id,
    status = case when r.status = 'completed' then 'available' when r.status in ${OPEN_REQUEST} then 'open' else 'ended' end
    from media_requests r where r.id = s.request_id`)
  await knex.raw(`alter table media_request_seasons alter column tmdb_id set not null`)
  await knex.raw(`alter table media_request_seasons add constraint media_request_seasons_status_check check (status in ('open', 'available', 'ended'))`)
  await knex.raw(`create unique index media_request_seasons_one_open on media_request_seasons (tmdb_id, season_number) where status = 'open'`)
  await knex.raw('drop index media_requests_one_open')
  await knex.raw(`create unique index media_requests_one_open on media_requests (tmdb_id, media_type)
    where status in ${OPEN_REQUEST} and (media_type = 'movie' or all_seasons)`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index media_requests_one_open')
  await knex.raw(`create unique index media_requests_one_open on media_requests (tmdb_id, media_type) where status in ${OPEN_REQUEST}`)
  await knex.raw('drop index media_request_seasons_one_open')
  await knex.raw('alter table media_request_seasons drop constraint media_request_seasons_status_check')
  await knex.schema.alterTable('media_request_seasons', (t) => {
    t.dropColumn('status')
    t.dropColumn('tmdb_id')
  })
}
