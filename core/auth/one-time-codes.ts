// One-time codes in the brief's verification_tokens (first-admin setup, password
// reset): only the hash is stored, a code is consumed by deleting its row.
import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { clock } from '../clock.ts'
import { hashToken, randomToken } from './tokens.ts'

export async function issueCode(db: Knex, identifier: string, lifetimeMs: number, code = randomToken()): Promise<string> {
  await db('verification_tokens').where({ identifier }).del()
  await db('verification_tokens').insert({
    identifier,
    token: hashToken(code),
    expires: new Date(clock.now().getTime() + lifetimeMs),
  })
  return code
}

/** Deletes the code's row and returns its identifier; null when unknown, used or expired. */
export async function consumeCode(db: Knex, code: string, identifierPrefix: string): Promise<string | null> {
  const rows = await db('verification_tokens')
    .where({ token: hashToken(code) })
    .andWhere('identifier', 'like', `${identifierPrefix}%`)
    .del()
    .returning(['identifier', 'expires'])
  const row = rows[0] as { identifier: string; expires: Date } | undefined
  if (!row || row.expires <= clock.now()) return null
  return row.identifier
}

/** Checks without consuming (to show a form only for a live link). */
export async function peekCode(db: Knex, code: string, identifierPrefix: string): Promise<string | null> {
  const row = await db('verification_tokens').where({ token: hashToken(code) })
    .andWhere('identifier', 'like', `${identifierPrefix}%`).andWhere('expires', '>', clock.now()).first('identifier')
  return (row?.identifier as string | undefined) ?? null
}

export async function deleteExpiredCodes(db: Knex): Promise<number> {
  return db('verification_tokens').where('expires', '<=', clock.now()).del()
}

/** A setup code people can type: 4 groups of 4 from an unambiguous alphabet. */
export function readableCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  let out = ''
  for (let i = 0; i < 16; i++) out += alphabet[crypto.randomInt(alphabet.length)]
  return out.match(/.{4}/g)!.join('-')
}
