// Plugin config keys marked secret in their schema (`z.string().meta({ secret: true })`)
// are shown redacted everywhere the core shows or logs a plugin's config: the CLI,
// /admin/plugins, boot problems. One function, so no place forgets one. The plugin
// itself still receives the real value in ctx.config.
import { z } from 'zod'

export const REDACTED = '••••••'

interface Inspectable { _zod?: { def?: Record<string, unknown> } }

const defOf = (schema: unknown) => (schema as Inspectable)?._zod?.def
const isSecret = (schema: unknown) => (z.globalRegistry.get(schema as z.ZodType) as { secret?: unknown } | undefined)?.secret === true

/**
 * The schema under its wrappers (optional, default, nullable…), and whether any layer
 * is marked secret: the mark may sit outside (`.optional().meta(…)`) or inside.
 */
function unwrap(schema: unknown): { inner: unknown; secret: boolean } {
  let current = schema
  let secret = false
  for (let depth = 0; depth < 20 && current; depth++) {
    if (isSecret(current)) secret = true
    const def = defOf(current)
    const next = def?.innerType ?? (def?.type === 'pipe' ? def.in : undefined)
    if (!next) break
    current = next
  }
  return { inner: current, secret }
}

/** A copy of `value` with every secret key's value replaced by REDACTED (unset values stay as they are). */
export function redactSecrets(schema: unknown, value: unknown): unknown {
  if (!schema) return value
  const { inner, secret } = unwrap(schema)
  if (secret) return value === undefined || value === null || value === '' ? value : REDACTED
  const def = defOf(inner)
  if (def?.type === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const shape = (def.shape ?? {}) as Record<string, unknown>
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k in shape ? redactSecrets(shape[k], v) : v]))
  }
  if (def?.type === 'array' && Array.isArray(value)) return value.map((v) => redactSecrets(def.element, v))
  return value
}
