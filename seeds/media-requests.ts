// The large generator behind the overseerr benchmark (bench/overseerr-requests.ts): fills
// media_requests, with one or two timeline rows each, for N requests spread over `people`
// generated users and a year of created_at. Rows are made by the database itself
// (generate_series, in batches), so a million takes seconds, not an hour of round trips.
// The status mix looks like a lived-in install: mostly completed, a few open. Open rows
// get distinct tmdb ids, as the partial unique index demands.
import type { Knex } from 'knex'

export interface GenerateOptions {
  /** Requests to add. */
  rows: number
  /** Users to make and spread them over (emails bench-<run>-<n>@medianest.example). */
  people?: number
  /** Spread over these existing users instead of making new ones. */
  userIds?: string[]
  /** Rows per INSERT … SELECT. */
  batch?: number
  /** Marks this run's users, so a second run adds its own. */
  run?: string
  log?: (line: string) => void
}

// Weights out of 1000, in order; the open ones (pending … processing) are ~7 %.
const MIX: Array<[string, number]> = [
  ['completed', 820], ['rejected', 40], ['failed', 20], ['pending', 30], ['approved', 2], ['in_progress', 28], ['downloading', 30], ['processing', 30],
]

export async function generateMediaRequests(knex: Knex, options: GenerateOptions): Promise<{ userIds: string[] }> {
  const batch = options.batch ?? 100_000
  const run = options.run ?? Date.now().toString(36)
  const log = options.log ?? (() => {})
  const userIds = options.userIds ?? (await knex.raw<{ rows: Array<{ id: string }> }>(
    `insert into users (email, name, role)
     select 'bench-' || ? || '-' || n || '@medianest.example', 'Bench person ' || n, case when n = 1 then 'ADMIN' else 'USER' end
     from generate_series(1, ?) n returning id`, [run, options.people ?? 1000])).rows.map((r) => r.id)
  const people = userIds.length

  // A case expression over the cumulative weights picks each row's status from its number.
  let upTo = 0
  const statusCase = `case ${MIX.map(([s, w]) => { upTo += w; return `when (g::bigint * 7919) % 1000 < ${upTo} then '${s}'` }).join(' ')} end`
  const [{ offset }] = (await knex.raw<{ rows: Array<{ offset: number }> }>('select coalesce(max(tmdb_id), 0)::int as "offset" from media_requests')).rows
  for (let from = 1; from <= options.rows; from += batch) {
    const to = Math.min(options.rows, from + batch - 1)
    await knex.raw(
      `with made as (
         insert into media_requests (user_id, title, media_type, tmdb_id, status, overseerr_id, all_seasons, year, created_at, updated_at, completed_at)
         select (?::uuid[])[1 + g % ?], 'Bench title ' || g, case when g % 4 = 0 then 'tv' else 'movie' end, ? + g, s.status,
                case when s.status in ('pending', 'approved', 'rejected') then null else g end, g % 4 = 0, 1950 + g % 75,
                now() - (g % 525600) * interval '1 minute', now(), case when s.status = 'completed' then now() else null end
         from generate_series(?::int, ?::int) g
         cross join lateral (select ${statusCase} as status) s
         returning id, status, created_at, user_id)
       insert into media_request_timeline (request_id, at, actor_user_id, actor, from_status, to_status, note)
       select id, created_at, user_id, 'Bench person', null, 'pending', null from made
       union all
       select id, created_at + interval '1 hour', null, 'Overseerr (status sync)', 'in_progress', status, null from made where status not in ('pending', 'approved', 'rejected')`,
      [`{${userIds.join(',')}}`, people, offset, from, to])
    log(`  media_requests: ${to.toLocaleString('en')} of ${options.rows.toLocaleString('en')}`)
  }
  await knex.raw('analyze media_requests')
  await knex.raw('analyze media_request_timeline')
  return { userIds }
}
