import type { Knex } from 'medianest/plugin-api'

// Site channels decide for themselves which facts they post, whatever anyone chose for
// their own inbox: a site delivery no longer hangs off one person's notification row
// (there may be none), it carries its message itself. Today's behaviour becomes each
// site channel's explicit choice: every event type, except those whose admin default
// had outbound off.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table notification_deliveries alter column notification_id drop not null')
  await knex.schema.alterTable('notification_deliveries', (t) => {
    /** A site delivery's message: { type, title, message, link, createdAt }. */
    t.jsonb('message').nullable()
  })
  // "Send test" answers beside the channel ({ ok, message, at }), so a page without JavaScript
  // can redirect back to it (a reload then shows it again instead of sending another test).
  await knex.schema.alterTable('notification_channels', (t) => {
    t.jsonb('last_test').nullable()
  })
  await migrateSiteChoices(knex)
}

/** Each site channel without a choice gets today's: every type but those whose default outbound is off. */
export async function migrateSiteChoices(knex: Knex): Promise<void> {
  const off: string[] = (await knex('notification_defaults').where({ outbound: false }).pluck('event_type')).sort()
  const site: Array<{ id: string; settings: Record<string, unknown> | string | null }> = await knex('notification_channels').whereNull('owner_user_id').select('id', 'settings')
  for (const c of site) {
    const settings = typeof c.settings === 'string' ? JSON.parse(c.settings) : (c.settings ?? {})
    if (Array.isArray(settings.events)) continue
    await knex('notification_channels').where({ id: c.id }).update({ settings: JSON.stringify({ ...settings, events: ['*'], except: off }) })
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex('notification_deliveries').whereNull('notification_id').del()
  await knex.schema.alterTable('notification_channels', (t) => {
    t.dropColumn('last_test')
  })
  await knex.schema.alterTable('notification_deliveries', (t) => {
    t.dropColumn('message')
  })
  await knex.raw('alter table notification_deliveries alter column notification_id set not null')
}
