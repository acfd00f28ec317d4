import type { Knex } from 'knex'

// Every change to a session or a user announces the user's id on one channel, so
// each process drops what it cached about that user's sessions — whichever code
// path, process or transaction made the change, and only once it committed.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function medianest_notify_session_change() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'users' then
        perform pg_notify('medianest_sessions', old.id::text);
      else
        perform pg_notify('medianest_sessions', old.user_id::text);
      end if;
      return null;
    end $$`)
  await knex.raw(`create trigger sessions_changed after update or delete on sessions
    for each row execute function medianest_notify_session_change()`)
  await knex.raw(`create trigger users_changed after update or delete on users
    for each row execute function medianest_notify_session_change()`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger users_changed on users')
  await knex.raw('drop trigger sessions_changed on sessions')
  await knex.raw('drop function medianest_notify_session_change()')
}
