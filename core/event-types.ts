// The event types the core and the plugins declare. A type is data: its name, who it
// concerns and a describe() that puts one payload into words. That is what lets one
// plugin (notifications) turn every other plugin's facts into messages, a community
// plugin's included, without a list of them inside it.
import type { Logger } from 'winston'
import type { DeclaredEventType, EventDescription, EventType } from './plugin-api.ts'
import { safeNext } from './auth/next-target.ts'

const str = (value: unknown, fallback = '') => (typeof value === 'string' ? value : fallback)

/** The core's own lifecycle facts, which any plugin may subscribe to. */
export const CORE_EVENT_TYPES: EventType[] = [
  {
    event: 'core.user.created', title: 'New account', audience: 'admins',
    describe: (p) => ({ title: 'New account', message: `${str(p.email, 'Someone')} now has an account.`, link: `/admin/users/${str(p.userId)}` }),
  },
  {
    event: 'core.user.updated', title: 'Account changed', audience: 'subject',
    describe: (p) => ({
      title: 'Your account changed',
      message: Array.isArray(p.changes) && p.changes.includes('role')
        ? `Your role is now ${str(p.role) === 'ADMIN' ? 'admin' : 'user'}.`
        : `Your account is now ${str(p.status, 'changed')}.`,
    }),
  },
  {
    event: 'core.user.deleted', title: 'Account deleted', audience: 'admins',
    describe: (p) => ({ title: 'Account deleted', message: `The account of ${str(p.email, 'a user')} was deleted.` }),
  },
  {
    event: 'core.service.updated', title: 'Service settings changed', audience: 'admins',
    describe: (p) => ({
      title: 'Service settings changed',
      message: `The service "${str(p.serviceName)}" was ${str(p.action, 'changed')}.`,
      link: '/admin/services',
    }),
  },
]

export class EventTypes {
  constructor(private readonly log: Logger, private readonly fromPlugins: () => DeclaredEventType[]) {}

  types(): DeclaredEventType[] {
    return [...CORE_EVENT_TYPES.map((t) => ({ ...t, plugin: 'core' })), ...this.fromPlugins()]
  }

  find(event: string): DeclaredEventType | undefined {
    return this.types().find((t) => t.event === event)
  }

  /** The type's words for one payload, or null (logged) when unknown, thrown, or malformed. */
  describe(event: string, payload: Record<string, unknown>): EventDescription | null {
    const type = this.find(event)
    if (!type) return null
    let described: EventDescription
    try {
      described = type.describe(payload)
    } catch (error) {
      this.log.warn(`event type "${event}" of plugin "${type.plugin}": describe() threw (${(error as Error)?.message}); this message is skipped`)
      return null
    }
    if (typeof described?.title !== 'string' || typeof described.message !== 'string') {
      this.log.warn(`event type "${event}" of plugin "${type.plugin}": describe() must return { title, message } strings; this message is skipped`)
      return null
    }
    const link = safeLink(described.link)
    const severity = SEVERITIES.includes(described.severity as never) ? described.severity : undefined
    const title = clean(described.title, 200) || type.title
    return { title, message: clean(described.message, 2000), ...(link ? { link } : {}), ...(severity ? { severity } : {}) }
  }
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g

/** Words as every reader shows them: no control characters, trimmed, cut with an ellipsis. */
function clean(text: string, max: number): string {
  const t = text.replace(CONTROL, '').trim()
  return t.length > max ? `${t.slice(0, max - 1)}…` : t
}

const SEVERITIES = ['low', 'medium', 'high', 'critical']

/** A link shown as an href: one of our paths, or an http(s) address; anything else is dropped. */
function safeLink(link: unknown): string | undefined {
  if (typeof link !== 'string' || !link) return undefined
  if (link.startsWith('/')) {
    const local = safeNext(link)
    return local === '/' && link !== '/' ? undefined : local
  }
  try {
    const url = new URL(link)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined
  } catch {
    return undefined
  }
}
