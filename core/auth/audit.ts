// Audit lines: sign-ins, refusals, admin changes (which field, never the value).
// UTC timestamps come from the logger; CR/LF are stripped so nobody forges a line.
import type { Logger } from 'winston'

const clean = (value: unknown) => String(value ?? '').replace(/[\r\n\u2028\u2029]+/g, ' ').slice(0, 200)

export function audit(log: Logger, action: string, details: Record<string, unknown>): void {
  const fields = Object.fromEntries(Object.entries(details).map(([k, v]) => [k, clean(v)]))
  log.info(`audit: ${action}`, { audit: action, ...fields })
}
