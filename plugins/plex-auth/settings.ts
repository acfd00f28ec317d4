// The plex_auth_settings table: this install's X-Plex-Client-Identifier, made once and
// kept for life (plex.tv lists every identifier as a device; a new one each boot would
// fill the owner's device list), and when the daily re-check last ran.
import crypto from 'node:crypto'
import type { Knex } from 'medianest/plugin-api'

const CLIENT_IDENTIFIER = 'client_identifier'
const LAST_RECHECK = 'last_recheck_at'

export async function clientIdentifier(db: Knex): Promise<string> {
  const found = await db('plex_auth_settings').where({ key: CLIENT_IDENTIFIER }).first('value')
  if (found) return found.value as string
  // Two processes may race here: the first insert wins and both read it back.
  await db('plex_auth_settings').insert({ key: CLIENT_IDENTIFIER, value: crypto.randomUUID() }).onConflict('key').ignore()
  return (await db('plex_auth_settings').where({ key: CLIENT_IDENTIFIER }).first('value')).value as string
}

export async function lastRecheckAt(db: Knex): Promise<Date | null> {
  const found = await db('plex_auth_settings').where({ key: LAST_RECHECK }).first('value')
  return found ? new Date(found.value as string) : null
}

export async function recordRecheck(db: Knex, at: Date): Promise<void> {
  await db('plex_auth_settings').insert({ key: LAST_RECHECK, value: at.toISOString(), updated_at: at })
    .onConflict('key').merge(['value', 'updated_at'])
}
