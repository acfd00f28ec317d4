// Times on the account pages: UTC text a person can read, plus the ISO value for
// <time datetime>, so templates get plain strings and never format dates themselves.
export interface DisplayTime {
  iso: string
  text: string
}

export function displayTime(date: Date): DisplayTime
export function displayTime(date: Date | null): DisplayTime | null
export function displayTime(date: Date | null): DisplayTime | null {
  if (!date) return null
  const iso = date.toISOString()
  return { iso, text: `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` }
}
