// The preferences form, shared by a person's page and the admin's defaults: one row per
// declared event type, two checkboxes each (names inApp / outbound, the event as value).
import { BadInput } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'
import type { Choice } from './preferences.ts'

export interface TypeRow { event: string; title: string; plugin: string; audience: string; inApp: boolean; outbound: boolean }

export function eventTypeRows(ctx: NotificationsContext, choose: (event: string) => Choice): TypeRow[] {
  return ctx.events.types()
    .map((t) => ({ event: t.event, title: t.title, plugin: t.plugin, audience: t.audience, ...choose(t.event) }))
    .sort((a, b) => a.plugin.localeCompare(b.plugin) || a.event.localeCompare(b.event))
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [])

/** Every declared type, on when its box was ticked; an unknown type is refused (422). */
export function choiceForm(ctx: NotificationsContext, body: Record<string, unknown> | undefined): Map<string, Choice> {
  const known = new Set(ctx.events.types().map((t) => t.event))
  const inApp = list(body?.inApp)
  const outbound = list(body?.outbound)
  const unknown = [...inApp, ...outbound].find((e) => !known.has(e))
  if (unknown !== undefined) throw new BadInput('That event type is not known here; reload the page and try again.', { inApp: 'Unknown event type.' })
  return new Map([...known].map((e) => [e, { inApp: inApp.includes(e), outbound: outbound.includes(e) }]))
}
