// How the admin pages show a moment. A person reads it in their own zone (chosen on
// /account, else the site's). The error log keeps UTC to the second: the server's log
// lines, which an admin matches its entries with, are kept in UTC.
import { formatInZone } from '../time-zones.ts'

export function inZone(date: Date | null | undefined, zone: string, none = 'never'): string {
  return date ? formatInZone(date, zone) : none
}

export function utcSecond(date: Date | null | undefined, none = 'never'): string {
  return date ? `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC` : none
}
