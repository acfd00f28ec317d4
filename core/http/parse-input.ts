// The one way a request part becomes typed input: a zod schema, and on failure a
// BadInput naming each field (the error handler turns it into a 422 in words). Used by
// the core's pages and, as ctx.http.parse and ctx.http.validate, by every plugin.
import type { z } from 'zod'
import { BadInput } from '../plugin-api.ts'

/** Turns zod issues into a BadInput that names each field, for forms. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const fields: Record<string, string> = {}
  for (const issue of result.error.issues) {
    const key = issue.path.join('.') || '_'
    fields[key] ??= issue.message
  }
  const summary = Object.entries(fields).map(([k, m]) => (k === '_' ? m : `${k}: ${m}`)).join('; ')
  throw new BadInput(`Please correct the form: ${summary}`, fields)
}
