// The hello_greetings table: who was greeted, with what.
import type { Knex } from 'medianest/plugin-api'

export interface GreetingRow { id: string; user_id: string; message: string; created_at: Date }

export async function recordGreeting(db: Knex, userId: string, message: string): Promise<GreetingRow> {
  const [row] = await db<GreetingRow>('hello_greetings').insert({ user_id: userId, message }).returning('*')
  return row
}

export async function countGreetings(db: Knex): Promise<number> {
  const row = await db('hello_greetings').select(db.raw('count(*)::int as count')).first()
  return (row as { count: number }).count
}

export async function recentGreetings(db: Knex, userId: string, limit = 10): Promise<GreetingRow[]> {
  return db<GreetingRow>('hello_greetings').where({ user_id: userId }).orderBy('created_at', 'desc').limit(limit)
}
