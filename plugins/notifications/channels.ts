// The notification_channels table: outbound targets. Site channels (owner null) are the
// admin's; a person may add their own target of any kind but a webhook, on a host the
// admin allows. The address and the secret are sealed with the row's id as associated
// data; pages show only `url_hint`.
import crypto from 'node:crypto'
import { z, type Knex, type Secrets } from 'medianest/plugin-api'
import type { NotificationsConfig } from './plugin-config.ts'
import { DIGESTS, timeZoneProblem, type DigestSchedule } from './digest-times.ts'

export const CHANNEL_KINDS = ['webhook', 'discord', 'ntfy', 'telegram', 'gotify', 'pushover', 'email'] as const
export type ChannelKind = typeof CHANNEL_KINDS[number]
export const KIND_LABELS: Record<ChannelKind, string> = { webhook: 'Webhook (JSON, signed)', discord: 'Discord', ntfy: 'ntfy', telegram: 'Telegram', gotify: 'Gotify', pushover: 'Pushover', email: 'Email' }
/** The kinds a person may add for themselves: a webhook can point anywhere, so only admins add one. */
export type PersonalKind = Exclude<ChannelKind, 'webhook'>
export const PERSONAL_KINDS = CHANNEL_KINDS.filter((k): k is PersonalKind => k !== 'webhook')
/** The public API a kind talks to when its address is left empty; self-hosted relays and tests give their own. */
export const DEFAULT_ADDRESS: Partial<Record<ChannelKind, string>> = { telegram: 'https://api.telegram.org', pushover: 'https://api.pushover.net' }

export interface ChannelSettings {
  /** ntfy 1–5, Gotify 0–10. */
  priority?: number
  tags?: string[]
  /** Telegram's chat id, or Pushover's user or group key. */
  recipient?: string
  /** Email: sent at once, or gathered into an hourly or a daily summary (digest-times.ts). */
  digest?: DigestSchedule['digest']
  /** A daily summary's local time, 'HH:MM'. */
  digestAt?: string
  /** The IANA time zone digestAt and the hours are read in. */
  timeZone?: string
  /**
   * A site channel's own choice of facts: event types by name, or ['*'] for every type
   * (also ones added later) but those in `except`; only those of `plugin` when set; and,
   * for a fact that says its severity, only `minSeverity` and above.
   */
  events?: string[]
  except?: string[]
  plugin?: string
  minSeverity?: Severity
}
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const
export type Severity = typeof SEVERITIES[number]

/** Whether a site channel posts this fact (its own choice; nobody's personal one). */
export function siteChannelTakes(settings: ChannelSettings, fact: { event: string; plugin: string; severity?: string }): boolean {
  const events = settings.events ?? ['*']
  const chosen = events.includes('*') ? !(settings.except ?? []).includes(fact.event) : events.includes(fact.event)
  if (!chosen) return false
  if (settings.plugin && settings.plugin !== fact.plugin) return false
  if (settings.minSeverity && fact.severity && (SEVERITIES as readonly string[]).includes(fact.severity)) {
    return SEVERITIES.indexOf(fact.severity as Severity) >= SEVERITIES.indexOf(settings.minSeverity)
  }
  return true
}

export async function saveSiteChoice(db: Knex, id: string, choice: Pick<ChannelSettings, 'events' | 'except' | 'plugin' | 'minSeverity'>): Promise<void> {
  const row = await db<ChannelRow>('notification_channels').where({ id }).whereNull('owner_user_id').first()
  if (!row) return
  const current = typeof row.settings === 'string' ? JSON.parse(row.settings) as ChannelSettings : row.settings ?? {}
  const { events, except, plugin, minSeverity } = choice
  const next: ChannelSettings = { ...current, events, except, plugin, minSeverity }
  for (const k of ['except', 'plugin', 'minSeverity'] as const) if (next[k] === undefined || (Array.isArray(next[k]) && !next[k]!.length)) delete next[k]
  await db('notification_channels').where({ id }).update({ settings: JSON.stringify(next) })
}
export interface ChannelRow {
  id: string
  owner_user_id: string | null
  kind: ChannelKind
  name: string
  url_sealed: string
  url_hint: string
  secret_sealed: string | null
  settings: ChannelSettings
  enabled: boolean
  /** What the last "Send test" said, shown beside the channel. */
  last_test: { ok: boolean; message: string; at: string } | null
  created_at: Date
}
/** The last "Send test" as its channel shows it, its time written for the reader (ctx.http.formatDate). */
export function lastTestView(c: Pick<ChannelRow, 'last_test'>, write: (date: Date) => string): { ok: boolean; message: string; at: { iso: string; text: string } } | null {
  const t = typeof c.last_test === 'string' ? JSON.parse(c.last_test) as ChannelRow['last_test'] : c.last_test
  if (!t) return null
  const at = new Date(t.at)
  return { ok: t.ok, message: t.message, at: { iso: at.toISOString(), text: write(at) } }
}
/** A channel ready to send: its address and secret unsealed. */
export interface OpenChannel extends ChannelRow { url: string; secret: string | null }

const httpUrl = z.string().trim().min(1, 'Enter the address.').max(2000, 'Keep the address under 2000 characters.')
  .refine((v) => { try { const u = new URL(v); return u.protocol === 'http:' || u.protocol === 'https:' } catch { return false } }, 'Use an http:// or https:// address.')
  .refine((v) => { try { const u = new URL(v); return !u.username && !u.password } catch { return true } }, 'Leave the user name and password out of the address.')


export const channelForm = z.object({
  kind: z.enum(CHANNEL_KINDS, 'Choose webhook, Discord, ntfy, Telegram, Gotify, Pushover or email.'),
  name: z.string().trim().min(1, 'Give it a name.').max(80, 'Keep the name under 80 characters.').regex(/^[^\p{Cc}]*$/u, 'Use letters, digits and punctuation only.'),
  url: z.string().trim().default('').pipe(z.union([z.literal(''), httpUrl])),
  secret: z.string().max(500, 'Keep the secret under 500 characters.').regex(/^[^\p{Cc}]*$/u, 'The secret has control characters.').default(''),
  recipient: z.string().trim().max(100, 'Keep it under 100 characters.').default(''),
  priority: z.union([z.literal(''), z.coerce.number().int('Choose a whole number for the priority.').min(0, 'Choose a priority from 0 to 10.').max(10, 'Choose a priority from 0 to 10.')]).default(''),
  tags: z.string().trim().max(200, 'Keep the tags under 200 characters.').regex(/^[a-zA-Z0-9_,\- ]*$/, 'Tags are words separated by commas.').default(''),
  /** A site email channel's recipients: one address per line (or comma-separated). */
  addresses: z.string().max(5000, 'Keep the list under 5000 characters.').default(''),
  digest: z.enum(DIGESTS, 'Choose at once, hourly or daily.').default('immediate'),
  digest_at: z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Give the time as HH:MM, e.g. 08:00.').default('08:00'),
  time_zone: z.string().trim().max(100).default(''),
})
export type ChannelForm = z.output<typeof channelForm>

const TELEGRAM_TOKEN = /^\d{1,20}:[A-Za-z0-9_-]{20,100}$/
const TELEGRAM_CHAT = /^-?\d{1,20}$/
const GOTIFY_TOKEN = /^[A-Za-z0-9._-]{5,100}$/
const PUSHOVER_KEY = /^[A-Za-z0-9]{30}$/

/** Each kind's own rules, by field, for any owner: what its service would refuse anyway, said before saving. */
export function kindProblems(form: ChannelForm): Record<string, string> {
  const problems: Record<string, string> = {}
  if (form.kind === 'email') {
    // Who it reaches is the scope's rule (a site list, or the person's own address).
    const zone = timeZoneProblem(form.time_zone)
    if (zone) problems.time_zone = zone
    if (form.priority !== '') problems.priority = 'Leave the priority empty for email.'
    return problems
  }
  const address = form.url || DEFAULT_ADDRESS[form.kind]
  if (!address) problems.url = 'Enter the address.'
  if (form.kind === 'discord' && form.url && !/\/api\/webhooks\//.test(new URL(form.url).pathname)) problems.url = 'Paste the Discord webhook address (…/api/webhooks/…).'
  if (form.kind === 'telegram') {
    if (!TELEGRAM_TOKEN.test(form.secret)) problems.secret = 'Paste the bot token BotFather gave you (digits, a colon, then letters and digits).'
    if (!TELEGRAM_CHAT.test(form.recipient)) problems.recipient = 'The Telegram chat id is a number (a group’s starts with -), not a name.'
  }
  if (form.kind === 'gotify' && !GOTIFY_TOKEN.test(form.secret)) {
    problems.secret = /\s/.test(form.secret) ? 'The Gotify application token has no spaces: paste it again.' : 'Paste the Gotify application token (its Apps page shows it).'
  }
  if (form.kind === 'pushover') {
    if (!PUSHOVER_KEY.test(form.secret)) problems.secret = 'Paste your Pushover application’s API token (30 letters and digits).'
    if (!PUSHOVER_KEY.test(form.recipient)) problems.recipient = 'Paste your Pushover user or group key (30 letters and digits).'
  }
  if (form.priority !== '') {
    if (form.kind === 'ntfy' && (form.priority < 1 || form.priority > 5)) problems.priority = 'Choose an ntfy priority from 1 to 5.'
    else if (form.kind !== 'ntfy' && form.kind !== 'gotify') problems.priority = `Leave the priority empty for ${KIND_LABELS[form.kind]}.`
  }
  return problems
}

/** A person's own target: not a webhook, on a host the admin allows (no SSRF by users). */
export function userTargetProblems(form: ChannelForm, config: NotificationsConfig): Record<string, string> {
  if (form.kind === 'webhook') return { kind: 'Choose another kind; webhooks are set up by an admin.' }
  // Mail goes to the person's own verified address, checked by the caller: no host to allow.
  if (form.kind === 'email') return {}
  const host = new URL(form.url || DEFAULT_ADDRESS[form.kind]!).hostname.toLowerCase()
  const allowed = config.userTargetHosts[form.kind]
  if (!allowed.includes(host)) return { url: `Use an address on ${allowed.join(' or ') || '(no host is allowed; ask an admin)'}.` }
  return {}
}

/** Where it points, without the path (a Discord webhook's path is its token). */
export function hintOf(url: string): string {
  const u = new URL(url)
  return `${u.protocol}//${u.host}/…`
}

export async function createChannel(db: Knex, secrets: Secrets, ownerUserId: string | null, form: ChannelForm): Promise<ChannelRow> {
  const id = crypto.randomUUID()
  // A new site channel posts every fact until its admin chooses otherwise.
  const settings: ChannelSettings = ownerUserId === null ? { events: ['*'] } : {}
  if ((form.kind === 'ntfy' || form.kind === 'gotify') && form.priority !== '') settings.priority = form.priority
  if (form.kind === 'ntfy') {
    const tags = form.tags.split(',').map((t) => t.trim()).filter(Boolean).slice(0, 10)
    if (tags.length) settings.tags = tags
  }
  if (form.kind === 'telegram' || form.kind === 'pushover') settings.recipient = form.recipient
  if (form.kind === 'email') {
    settings.digest = form.digest
    if (form.digest !== 'immediate') settings.timeZone = form.time_zone || 'UTC'
    if (form.digest === 'daily') settings.digestAt = form.digest_at
  }
  // An email channel's "address" is its list (a site's) or the owner's own address, read when it sends.
  const list = form.kind === 'email' ? (ownerUserId === null ? emailList(form.addresses) : []) : []
  const url = form.kind === 'email' ? list.join('\n') : form.url || DEFAULT_ADDRESS[form.kind]!
  const [row] = await db<ChannelRow>('notification_channels').insert({
    id, owner_user_id: ownerUserId, kind: form.kind, name: form.name,
    url_sealed: secrets.encrypt(url, `notification_channels:${id}:url`),
    url_hint: form.kind === 'email' ? emailHint(list) : hintOf(url),
    secret_sealed: form.secret && form.kind !== 'discord' && form.kind !== 'email' ? secrets.encrypt(form.secret, `notification_channels:${id}:secret`) : null,
    settings,
  } as Partial<ChannelRow>).returning('*')
  return row
}

/** A site email channel's list as typed: one address per line or comma, blanks and repeats dropped. */
export function emailList(text: string): string[] {
  return [...new Set(text.split(/[\n,]+/).map((a) => a.trim().toLowerCase()).filter(Boolean))]
}

/** At most this many addresses on one site email channel. */
export const MAX_EMAIL_ADDRESSES = 20

/** What the channel list shows of an email channel's recipients. */
export function emailHint(list: string[]): string {
  if (!list.length) return 'your verified address'
  return list.length === 1 ? list[0] : `${list[0]} and ${list.length - 1} more`
}

/** Replaces a site email channel's list (an unsubscribe took an address off it). */
export async function saveEmailList(db: Knex, secrets: Secrets, id: string, list: string[]): Promise<void> {
  await db('notification_channels').where({ id }).update({
    url_sealed: secrets.encrypt(list.join('\n'), `notification_channels:${id}:url`),
    url_hint: emailHint(list),
    ...(list.length ? {} : { enabled: false }),
  })
}

export function openChannel(secrets: Secrets, row: ChannelRow): OpenChannel {
  return {
    ...row,
    url: secrets.decrypt(row.url_sealed, `notification_channels:${row.id}:url`),
    secret: row.secret_sealed ? secrets.decrypt(row.secret_sealed, `notification_channels:${row.id}:secret`) : null,
  }
}

export async function siteChannels(db: Knex): Promise<ChannelRow[]> {
  return db<ChannelRow>('notification_channels').whereNull('owner_user_id').orderBy('created_at')
}

export async function ownChannels(db: Knex, userId: string): Promise<ChannelRow[]> {
  return db<ChannelRow>('notification_channels').where({ owner_user_id: userId }).orderBy('created_at')
}

/** The enabled own channels of these people, in one read. */
export async function enabledChannelsOf(db: Knex, userIds: string[]): Promise<ChannelRow[]> {
  if (!userIds.length) return []
  return db<ChannelRow>('notification_channels').whereIn('owner_user_id', userIds).where({ enabled: true }).orderBy('created_at')
}

export async function countOwn(db: Knex, userId: string): Promise<number> {
  const row = await db('notification_channels').where({ owner_user_id: userId }).select(db.raw('count(*)::int as count')).first()
  return Number((row as { count: number }).count)
}

/** `owner` null finds a site channel; a user id finds only that person's. */
export async function findChannel(db: Knex, id: string, owner: string | null): Promise<ChannelRow | null> {
  if (!z.uuid().safeParse(id).success) return null
  const q = db<ChannelRow>('notification_channels').where({ id })
  if (owner === null) q.whereNull('owner_user_id')
  else q.where({ owner_user_id: owner })
  return (await q.first()) ?? null
}

export async function getChannel(db: Knex, id: string): Promise<ChannelRow | null> {
  return (await db<ChannelRow>('notification_channels').where({ id }).first()) ?? null
}

export async function deleteChannel(db: Knex, id: string): Promise<void> {
  await db('notification_channels').where({ id }).del()
}
