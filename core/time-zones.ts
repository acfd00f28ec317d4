// Time zones: the site's (config `timeZone`, else the server's), a person's own choice on
// their account page, and dates written in the viewer's zone, so "today" and "07:30" mean
// what the person reading them means. IANA names, as Intl knows them.

export { isTimeZone, TIME_ZONES } from './plugin-api.ts'

export const serverTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'

export type DateStyle = 'date' | 'datetime' | 'time'

const formats = new Map<string, Intl.DateTimeFormat>()

/** "8 Dec 2026, 07:30" in `zone`: a date as the reader's clock shows it, 24-hour, with the zone's abbreviation for datetime. */
export function formatInZone(date: Date, zone: string, style: DateStyle = 'datetime'): string {
  const key = `${zone}\n${style}`
  let format = formats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, hourCycle: 'h23',
      ...(style !== 'time' ? { day: 'numeric', month: 'short', year: 'numeric' } : {}),
      ...(style !== 'date' ? { hour: '2-digit', minute: '2-digit' } : {}),
      ...(style === 'datetime' ? { timeZoneName: 'short' } : {}),
    })
    if (formats.size > 500) formats.clear()
    formats.set(key, format)
  }
  return format.format(date)
}
