// Maintenance windows: a one-off span, or weekly on chosen days at a local time for a
// duration, in a time zone (luxon does the calendar: a weekly 02:00 stays 02:00 local
// across a DST change). While a window is on, its services are not checked: no results,
// no incidents, no notifications, and the uptime figures (made of check results) leave
// the window out. Windows sharing a service may not overlap; a window may not overlap
// itself (a weekly window longer than the gap between its days).
import { DateTime, IANAZone } from 'luxon'
import type { Knex } from 'medianest/plugin-api'
import { parseDuration } from './plugin-config.ts'

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const

export interface WindowRow {
  id: number
  title: string
  services: string[]
  kind: 'once' | 'weekly'
  starts_at: Date | null
  ends_at: Date | null
  /** 1 Monday … 7 Sunday (ISO, as luxon counts). */
  weekdays: number[] | null
  start_time: string | null
  duration_minutes: number | null
  time_zone: string
  created_at: Date
}
export type WindowInput = Omit<WindowRow, 'id' | 'created_at'>

interface Span { start: number; end: number }

const MINUTE = 60_000
const WEEK = 7 * 86_400_000
/** How far ahead two weekly windows are compared: a year covers every DST change. */
const OVERLAP_HORIZON = 53 * WEEK

/** The spans of a window that overlap [from, to). */
export function occurrences(w: WindowInput, from: number, to: number): Span[] {
  if (w.kind === 'once') {
    const start = new Date(w.starts_at!).getTime()
    const end = new Date(w.ends_at!).getTime()
    return start < to && end > from ? [{ start, end }] : []
  }
  const [hour, minute] = w.start_time!.split(':').map(Number)
  const length = w.duration_minutes! * MINUTE
  const out: Span[] = []
  // A weekly window can have begun up to a week before `from`.
  let day = DateTime.fromMillis(from - length, { zone: w.time_zone }).startOf('day')
  while (day.toMillis() < to) {
    if (w.weekdays!.includes(day.weekday)) {
      const start = day.set({ hour, minute }).toMillis()
      if (start < to && start + length > from) out.push({ start, end: start + length })
    }
    day = day.plus({ days: 1 })
  }
  return out
}

export async function listWindows(db: Knex): Promise<WindowRow[]> {
  const rows: WindowRow[] = await db('monitor_maintenance').orderBy('id')
  return rows.map(parsedRow)
}

// pg returns jsonb parsed; PGlite too, but a text column written by hand would not be.
const parsedRow = (r: WindowRow): WindowRow => ({
  ...r,
  services: typeof r.services === 'string' ? JSON.parse(r.services) : r.services,
  weekdays: typeof r.weekdays === 'string' ? JSON.parse(r.weekdays) : r.weekdays,
})

export interface ActiveWindow { id: number; title: string; until: Date }

/** The services in maintenance at `now`, each with the window (the latest-ending if two touch). */
export async function inMaintenance(db: Knex, now: Date): Promise<Map<string, ActiveWindow>> {
  const out = new Map<string, ActiveWindow>()
  const at = now.getTime()
  for (const w of await listWindows(db)) {
    const span = occurrences(w, at, at + 1)[0]
    if (!span) continue
    for (const name of w.services) {
      const known = out.get(name)
      if (!known || known.until.getTime() < span.end) out.set(name, { id: w.id, title: w.title, until: new Date(span.end) })
    }
  }
  return out
}

/** The next span of a window from `now` on (the current one if it is on), or null once it is over. */
export function nextSpan(w: WindowInput, now: Date): Span | null {
  return occurrences(w, now.getTime(), now.getTime() + (w.kind === 'once' ? Infinity : 2 * WEEK))[0] ?? null
}

// ---------- the admin's form

export interface WindowForm {
  title: string
  services: string[]
  kind: string
  starts: string
  ends: string
  weekdays: string[]
  start_time: string
  duration: string
  time_zone: string
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]).filter((x): x is string => typeof x === 'string').slice(0, 600)
const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '')

export function readForm(body: Record<string, unknown>): WindowForm {
  return {
    title: str(body.title, 200).trim(), services: list(body.services), kind: str(body.kind, 10),
    starts: str(body.starts, 40).trim(), ends: str(body.ends, 40).trim(), weekdays: list(body.weekdays),
    start_time: str(body.start_time, 10).trim(), duration: str(body.duration, 20).trim(), time_zone: str(body.time_zone, 100).trim(),
  }
}

const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/
const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * The window the form describes, or each field's problem in words. `watched` are the
 * services that can be chosen; `others` the windows already stored (for overlaps);
 * `write` writes a date in the zone of whoever reads the problem (ctx.http.formatDate).
 */
export function checkForm(form: WindowForm, watched: Map<string, string>, others: WindowRow[], now: Date, write: (date: Date) => string): { window: WindowInput } | { problems: Record<string, string> } {
  const problems: Record<string, string> = {}
  if (!form.title) problems.title = 'Give the window a title, like "NAS disk swap".'
  else if (form.title.length > 120 || CONTROL.test(form.title)) problems.title = 'Use at most 120 characters on one line.'
  const services = [...new Set(form.services)]
  const unknown = services.find((s) => !watched.has(s))
  if (!services.length) problems.services = 'Choose at least one service.'
  else if (unknown !== undefined) problems.services = `"${unknown.slice(0, 64)}" is not a watched service.`
  const zone = form.time_zone
  if (!zone || !IANAZone.isValidZone(zone)) problems.time_zone = `"${zone.slice(0, 64)}" is not a time zone: choose one from the list, like Europe/Berlin.`

  let window: WindowInput | null = null
  const base = { title: form.title, services, time_zone: zone, starts_at: null, ends_at: null, weekdays: null, start_time: null, duration_minutes: null }
  if (form.kind === 'once') {
    const at = (text: string, field: 'starts' | 'ends') => {
      if (!LOCAL_DATE_TIME.test(text)) {
        problems[field] = 'Write a date and time, like 2026-12-24T02:00.'
        return null
      }
      const d = problems.time_zone ? null : DateTime.fromISO(text, { zone })
      if (d && !d.isValid) problems[field] = `That is not a real date (${d.invalidExplanation ?? d.invalidReason}).`
      return d?.isValid ? d.toJSDate() : null
    }
    const starts = at(form.starts, 'starts')
    const ends = at(form.ends, 'ends')
    if (starts && ends && ends.getTime() <= starts.getTime()) problems.ends = 'The end must be after the start.'
    else if (ends && ends.getTime() <= now.getTime()) problems.ends = 'This window would be over already: its end is in the past.'
    else if (starts && ends && ends.getTime() - starts.getTime() > 31 * 86_400_000) problems.ends = 'A one-off window lasts at most 31 days; pause the service instead.'
    if (starts && ends) window = { ...base, kind: 'once', starts_at: starts, ends_at: ends }
  } else if (form.kind === 'weekly') {
    const days = [...new Set(form.weekdays.map(Number))].sort()
    if (!days.length || days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) problems.weekdays = 'Choose at least one day of the week.'
    if (!LOCAL_TIME.test(form.start_time)) problems.start_time = 'Write a time of day, like 02:00.'
    const ms = parseDuration(form.duration)
    if (ms === null) problems.duration = `"${form.duration.slice(0, 20)}" is not a duration: write it like 90m or 2h.`
    else if (ms < MINUTE || ms > 3 * 86_400_000) problems.duration = 'Use between 1 minute and 3 days.'
    if (!problems.weekdays && !problems.start_time && ms !== null && !problems.duration) {
      window = { ...base, kind: 'weekly', weekdays: days, start_time: form.start_time, duration_minutes: Math.ceil(ms / MINUTE) }
    }
  } else {
    problems.kind = 'Choose one-off or weekly.'
  }
  if (Object.keys(problems).length || !window) return { problems: Object.keys(problems).length ? problems : { kind: 'Choose one-off or weekly.' } }

  const clash = overlap(window, others, now, write)
  if (clash) problems[window.kind === 'once' ? 'starts' : 'start_time'] = clash
  return Object.keys(problems).length ? { problems } : { window }
}

/** Why the window overlaps another sharing a service (or itself), in words; null when it does not. */
function overlap(w: WindowInput, others: WindowRow[], now: Date, write: (date: Date) => string): string | null {
  const from = now.getTime()
  const until = (x: WindowInput) => (x.kind === 'once' ? new Date(x.ends_at!).getTime() : from + OVERLAP_HORIZON)
  const mine = occurrences(w, from, until(w))
  for (let i = 1; i < mine.length; i++) {
    if (mine[i].start < mine[i - 1].end) return 'Its weekly spans overlap each other: shorten it or choose days further apart.'
  }
  for (const other of others) {
    const shared = other.services.filter((s) => w.services.includes(s))
    if (!shared.length) continue
    const to = Math.min(until(w), until(other))
    for (const a of occurrences(other, from, to)) {
      if (mine.some((b) => b.start < a.end && a.start < b.end)) {
        return `It overlaps "${other.title}" (${write(new Date(a.start))}) for ${shared[0]}: change the times or the services.`
      }
    }
  }
  return null
}

/** A window in words: "Weekly on Monday and Thursday at 02:00 for 2 h (Europe/Berlin)". */
export function describe(w: WindowInput): string {
  if (w.kind === 'once') {
    const local = (d: Date | null) => DateTime.fromJSDate(new Date(d!), { zone: w.time_zone }).toFormat('yyyy-LL-dd HH:mm')
    return `Once, from ${local(w.starts_at)} to ${local(w.ends_at)} (${w.time_zone})`
  }
  const days = w.weekdays!.map((d) => WEEKDAYS[d - 1])
  const joined = days.length > 1 ? `${days.slice(0, -1).join(', ')} and ${days[days.length - 1]}` : days[0]
  const m = w.duration_minutes!
  const length = m % 60 === 0 ? `${m / 60} h` : m > 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`
  return `Weekly on ${joined} at ${w.start_time} for ${length} (${w.time_zone})`
}

export async function createWindow(db: Knex, w: WindowInput, by: string): Promise<number> {
  const [row] = await db('monitor_maintenance').insert({
    ...w, services: JSON.stringify(w.services), weekdays: w.weekdays ? JSON.stringify(w.weekdays) : null, created_by: by,
  }).returning('id')
  return (row as { id: number }).id
}
