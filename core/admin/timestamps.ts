// How the admin pages show a moment: UTC, to the minute or second, the same everywhere.

export function utcMinute(date: Date | null | undefined, none = 'never'): string {
  return date ? `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC` : none
}

export function utcSecond(date: Date | null | undefined, none = 'never'): string {
  return date ? `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC` : none
}
