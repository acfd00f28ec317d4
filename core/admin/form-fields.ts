// Reading one field of a parsed form body or query string. Repeated or structured
// values (`?q=a&q=b`) are not text, so they read as empty and fail validation plainly.

export function textField(source: unknown, name: string): string {
  const value = (source as Record<string, unknown> | undefined)?.[name]
  return typeof value === 'string' ? value : ''
}

/** An HTML checkbox: present (any value) means on. */
export function checkboxField(source: unknown, name: string): boolean {
  const value = (source as Record<string, unknown> | undefined)?.[name]
  return typeof value === 'string' && value !== ''
}

/** Only the named text fields, for echoing a form back or validating a query. */
export function textFields<K extends string>(source: unknown, names: readonly K[]): Record<K, string> {
  return Object.fromEntries(names.map((n) => [n, textField(source, n)])) as Record<K, string>
}
