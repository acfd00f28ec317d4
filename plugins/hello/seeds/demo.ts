// `medianest seed demo`: a few greetings for the demo people, so the hello widget
// shows a count. Only for users this run created: a second run adds none.
import type { SeedContext } from 'medianest/plugin-api'
import { recordGreeting } from '../greetings.ts'

export async function seed(ctx: SeedContext<{ greeting: string }>): Promise<void> {
  for (const user of ctx.users.filter((u) => u.created).slice(0, 3)) {
    await recordGreeting(ctx.db, user.id, `${ctx.config.greeting}, ${user.name ?? user.email}!`)
  }
}
