// Times on the account pages: text in the reader's zone (their own, else the site's),
// plus the ISO value for <time datetime>, so templates get plain strings and never
// format dates themselves.
import { formatInZone } from '../time-zones.ts'

export interface DisplayTime {
  iso: string
  text: string
}

export function displayTime(date: Date, zone: string): DisplayTime
export function displayTime(date: Date | null, zone: string): DisplayTime | null
export function displayTime(date: Date | null, zone: string): DisplayTime | null {
  if (!date) return null
  return { iso: date.toISOString(), text: formatInZone(date, zone) }
}
