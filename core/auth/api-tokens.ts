// Personal API tokens (the brief's `session_tokens`): shown once, stored hashed,
// sent as `Authorization: Bearer mn_…`, with last use recorded and revocable.
import type { Knex } from 'knex'
import { clock } from '../clock.ts'
import { hashToken, randomToken } from './tokens.ts'

export interface ApiTokenRow {
  id: string
  user_id: string
  token_hash: string
  name: string
  expires_at: Date
  created_at: Date
  last_used_at: Date | null
}

const TOKEN_PREFIX = 'mn_'
const TOUCH_EVERY_MS = 60_000

export async function createApiToken(
  db: Knex, userId: string, name: string, lifetimeMs: number,
): Promise<{ token: string; row: ApiTokenRow }> {
  const token = TOKEN_PREFIX + randomToken()
  const [row] = await db<ApiTokenRow>('session_tokens').insert({
    user_id: userId,
    token_hash: hashToken(token),
    name,
    expires_at: new Date(clock.now().getTime() + lifetimeMs),
  }).returning('*')
  return { token, row }
}

export async function findApiToken(db: Knex, token: string): Promise<ApiTokenRow | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null
  const row = await db<ApiTokenRow>('session_tokens').where({ token_hash: hashToken(token) }).first()
  const now = clock.now()
  if (!row || row.expires_at <= now) return null
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= TOUCH_EVERY_MS) {
    await db('session_tokens').where({ id: row.id }).update({ last_used_at: now })
  }
  return row
}

export async function listApiTokens(db: Knex, userId: string): Promise<ApiTokenRow[]> {
  return db<ApiTokenRow>('session_tokens').where({ user_id: userId }).orderBy('created_at', 'desc')
}

export async function revokeApiToken(db: Knex, userId: string, tokenId: string): Promise<boolean> {
  return (await db('session_tokens').where({ id: tokenId, user_id: userId }).del()) > 0
}

export async function deleteExpiredApiTokens(db: Knex): Promise<number> {
  return db('session_tokens').where('expires_at', '<=', clock.now()).del()
}
