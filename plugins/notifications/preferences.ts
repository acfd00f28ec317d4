// Who wants what: the admin's defaults per event type (notification_defaults) and each
// person's own choice (notification_preferences). Without either row a type is on.
import type { Knex } from 'medianest/plugin-api'

export interface Choice { inApp: boolean; outbound: boolean }
const ON: Choice = { inApp: true, outbound: true }

export async function defaults(db: Knex): Promise<Map<string, Choice>> {
  const rows = await db('notification_defaults').select('event_type', 'in_app', 'outbound')
  return new Map(rows.map((r: { event_type: string; in_app: boolean; outbound: boolean }) => [r.event_type, { inApp: r.in_app, outbound: r.outbound }]))
}

export async function ownChoices(db: Knex, userId: string): Promise<Map<string, Choice>> {
  const rows = await db('notification_preferences').where({ user_id: userId }).select('event_type', 'in_app', 'outbound')
  return new Map(rows.map((r: { event_type: string; in_app: boolean; outbound: boolean }) => [r.event_type, { inApp: r.in_app, outbound: r.outbound }]))
}

/** Each listed person's effective choice for one event type. */
export async function choicesFor(db: Knex, eventType: string, userIds: string[]): Promise<Map<string, Choice>> {
  const def = (await db('notification_defaults').where({ event_type: eventType }).first()) as { in_app: boolean; outbound: boolean } | undefined
  const fallback: Choice = def ? { inApp: def.in_app, outbound: def.outbound } : ON
  const own = userIds.length
    ? await db('notification_preferences').where({ event_type: eventType }).whereIn('user_id', userIds).select('user_id', 'in_app', 'outbound')
    : []
  const byUser = new Map(own.map((r: { user_id: string; in_app: boolean; outbound: boolean }) => [r.user_id, { inApp: r.in_app, outbound: r.outbound }]))
  return new Map(userIds.map((id) => [id, byUser.get(id) ?? fallback]))
}

export async function siteDefault(db: Knex, eventType: string): Promise<Choice> {
  const def = (await db('notification_defaults').where({ event_type: eventType }).first()) as { in_app: boolean; outbound: boolean } | undefined
  return def ? { inApp: def.in_app, outbound: def.outbound } : ON
}

/** Saves every listed type in one transaction (the form sends them all). */
export async function saveOwn(db: Knex, userId: string, choices: Map<string, Choice>): Promise<void> {
  await db.transaction(async (trx) => {
    for (const [eventType, c] of choices) {
      await trx('notification_preferences')
        .insert({ user_id: userId, event_type: eventType, in_app: c.inApp, outbound: c.outbound, updated_at: trx.fn.now() })
        .onConflict(['user_id', 'event_type']).merge(['in_app', 'outbound', 'updated_at'])
    }
  })
}

export async function saveDefaults(db: Knex, choices: Map<string, Choice>): Promise<void> {
  await db.transaction(async (trx) => {
    for (const [eventType, c] of choices) {
      await trx('notification_defaults')
        .insert({ event_type: eventType, in_app: c.inApp, outbound: c.outbound, updated_at: trx.fn.now() })
        .onConflict('event_type').merge(['in_app', 'outbound', 'updated_at'])
    }
  })
}

export { ON as ALL_ON }
