// The hello_greetings table: who was greeted, with what.
import crypto from 'node:crypto'
import type { Knex } from 'medianest/plugin-api'

export interface GreetingRow { id: string; user_id: string; message: string; created_at: Date }

/**
 * Writes a greeting once: `id` is chosen when it is asked for, so a job run again (a
 * retry, a crash after the commit) finds it there and writes nothing. The new row, or
 * null when it was already written.
 */
export async function recordGreeting(db: Knex, userId: string, message: string, id: string = crypto.randomUUID()): Promise<GreetingRow | null> {
  const [row] = await db<GreetingRow>('hello_greetings').insert({ id, user_id: userId, message }).onConflict('id').ignore().returning('*')
  return row ?? null
}

export async function countGreetings(db: Knex): Promise<number> {
  const row = await db('hello_greetings').select(db.raw('count(*)::int as count')).first()
  return (row as { count: number }).count
}

export async function recentGreetings(db: Knex, userId: string, limit = 10): Promise<GreetingRow[]> {
  return db<GreetingRow>('hello_greetings').where({ user_id: userId }).orderBy('created_at', 'desc').limit(limit)
}
