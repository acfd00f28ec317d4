// One-time form tokens for forms that create something (an API token, a user, a
// service). The form carries a fresh random `_once` value; the first submission records
// it for that person, and a repeat of the same submission (a double click with
// JavaScript off, a replayed POST, Back and resend) finds it taken and creates nothing.
// Record the token only once the input is valid, and let it go again if the creation
// itself fails, so a corrected form can be sent. Every render gets a new token.
import type { Knex } from 'knex'
import { clock } from '../clock.ts'
import { randomToken } from '../auth/tokens.ts'

export const ONCE_FIELD = '_once'
export const ALREADY_SENT = 'That form was already sent, so nothing was created a second time.'
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,64}$/
const RETENTION_MS = 24 * 3600_000

/** A new value for the form's hidden `_once` field. */
export function newFormToken(): string {
  return randomToken(18)
}

function tokenOf(body: unknown): string | null {
  const value = (body as Record<string, unknown> | undefined)?.[ONCE_FIELD]
  return typeof value === 'string' && TOKEN_SHAPE.test(value) ? value : null
}

/**
 * Records this submission of `form` by `userId`: 'first' when it is new (or carries no
 * token: a script's request), 'repeat' when the same token was already sent.
 */
export async function claimSubmission(db: Knex, userId: string, form: string, body: unknown): Promise<'first' | 'repeat'> {
  const token = tokenOf(body)
  if (!token) return 'first'
  const result = await db.raw<{ rows: unknown[] }>(
    `insert into form_submissions (user_id, form, token) values (?, ?, ?)
     on conflict (user_id, form, token) do nothing returning id`,
    [userId, form.slice(0, 64), token],
  )
  return result.rows.length ? 'first' : 'repeat'
}

/** Lets a claimed token go again: the creation failed, so sending the form again is fine. */
export async function releaseSubmission(db: Knex, userId: string, form: string, body: unknown): Promise<void> {
  const token = tokenOf(body)
  if (token) await db('form_submissions').where({ user_id: userId, form: form.slice(0, 64), token }).del()
}

export async function deleteOldSubmissions(db: Knex): Promise<number> {
  return db('form_submissions').where('created_at', '<', new Date(clock.now().getTime() - RETENTION_MS)).del()
}
