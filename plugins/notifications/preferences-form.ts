// The preferences form, shared by a person's page and the admin's defaults: one row per
// declared event type, two checkboxes each (names inApp / outbound, the event as value).
import { BadInput, type Role } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import type { Choice } from './preferences.ts'

export interface TypeRow { event: string; title: string; plugin: string; audience: string; who: string; inApp: boolean; outbound: boolean }

/** Who a type's notifications go to, in words. */
const WHO: Record<string, string> = { subject: 'when it is about you', everyone: 'to everyone', admins: 'to admins' }

/** The types a person can ever get: one for admins only is not theirs to choose (`role` unset: every type, the admin's defaults). */
function typesFor(ctx: NotificationsContext, role?: Role) {
  return ctx.events.types().filter((t) => role !== 'USER' || t.audience !== 'admins')
}

export function eventTypeRows(ctx: NotificationsContext, choose: (event: string) => Choice, role?: Role): TypeRow[] {
  return typesFor(ctx, role)
    .map((t) => ({ event: t.event, title: t.title, plugin: t.plugin, audience: t.audience, who: `${t.plugin === 'core' ? 'MediaNest' : t.plugin}, ${WHO[t.audience] ?? t.audience}`, ...choose(t.event) }))
    .sort((a, b) => a.plugin.localeCompare(b.plugin) || a.title.localeCompare(b.title))
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [])

/** Every declared type, on when its box was ticked; an unknown type is refused (422). */
export function choiceForm(ctx: NotificationsContext, body: Record<string, unknown> | undefined, role?: Role): Map<string, Choice> {
  const known = new Set(typesFor(ctx, role).map((t) => t.event))
  const inApp = list(body?.inApp)
  const outbound = list(body?.outbound)
  const unknown = [...inApp, ...outbound].find((e) => !known.has(e))
  if (unknown !== undefined) throw new BadInput('That event type is not known here; reload the page and try again.', { inApp: 'Unknown event type.' })
  return new Map([...known].map((e) => [e, { inApp: inApp.includes(e), outbound: outbound.includes(e) }]))
}
