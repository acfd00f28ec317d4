import type { Knex } from 'knex'

// Revoking (deleting) an API token, or changing its owner or expiry, announces the
// user's id on the same channel as session changes, so an open /events stream that
// came in with that token is re-checked at once, in every process. last_used_at
// changes every minute of use and announces nothing.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create trigger session_tokens_changed
    after delete or update of user_id, expires_at, token_hash on session_tokens
    for each row execute function medianest_notify_session_change()`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger session_tokens_changed on session_tokens')
}
