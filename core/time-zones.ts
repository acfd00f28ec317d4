// Time zones: the site's (config `timeZone`, else the server's), a person's own choice on
// their account page, and dates written in the viewer's zone, so "today" and "07:30" mean
// what the person reading them means. IANA names, as Intl knows them.

export { isTimeZone, TIME_ZONES } from './plugin-api.ts'

export const serverTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'

/** The zone of everyone who chose none, and of dates written for no one in particular: config timeZone, else the server's. */
export const siteTimeZone = (config: { timeZone?: string }): string => config.timeZone ?? serverTimeZone()

export type DateStyle = 'date' | 'datetime' | 'time'

/**
 * How every date we write is formatted. public/local-times.js has a copy of this function
 * (it rewrites a pushed <time> into the reader's zone): keep the two in step, or a pushed
 * date reads differently from the same date on a page. `named`: the zone's abbreviation
 * on every style, for a date written in the site's zone for whoever reads it.
 */
export function dateFormatOptions(zone: string, style: DateStyle, named = false): Intl.DateTimeFormatOptions {
  return {
    timeZone: zone, hourCycle: 'h23',
    ...(style !== 'time' ? { day: 'numeric', month: 'short', year: 'numeric' } : {}),
    ...(style !== 'date' ? { hour: '2-digit', minute: '2-digit' } : {}),
    ...(style === 'datetime' || named ? { timeZoneName: 'short' } : {}),
  }
}

const formats = new Map<string, Intl.DateTimeFormat>()

/**
 * "8 Dec 2026, 07:30 CET" in `zone`: a date as the reader's clock shows it, 24-hour, with
 * the zone's abbreviation for datetime (for every style with `named`).
 */
export function formatInZone(date: Date, zone: string, style: DateStyle = 'datetime', named = false): string {
  const key = `${zone}\n${style}\n${named}`
  let format = formats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', dateFormatOptions(zone, style, named))
    if (formats.size > 500) formats.clear()
    formats.set(key, format)
  }
  return format.format(date)
}
