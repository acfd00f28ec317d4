// Boot-time checks of the fields a service type declares: their names become form
// input names, config_data keys and part of a secret's associated data, so they are
// plain identifiers, unique in the type, of a kind the admin form can show.
import type { ServiceType } from '../plugin-api.ts'

export const FIELD_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/
const KINDS = new Set(['text', 'url', 'secret', 'number', 'checkbox', 'textarea'])

export function validateServiceFields(plugin: string, types: ServiceType[] | undefined): string[] {
  const problems: string[] = []
  for (const t of types ?? []) {
    const seen = new Set<string>()
    for (const f of t.fields ?? []) {
      const where = `plugin "${plugin}": service type "${t.name}" field "${f?.name}"`
      if (typeof f?.name !== 'string' || !FIELD_NAME.test(f.name)) problems.push(`${where}: the name must be a letter then letters, digits or underscores (at most 64)`)
      else if (seen.has(f.name)) problems.push(`${where} is declared twice`)
      seen.add(f?.name)
      if (!KINDS.has(f?.type)) problems.push(`${where}: type must be one of text, url, secret, number, checkbox, textarea`)
      if (typeof f?.label !== 'string' || !f.label.trim()) problems.push(`${where} needs a label`)
    }
    if (t.validate !== undefined && typeof t.validate !== 'function') problems.push(`plugin "${plugin}": service type "${t.name}": validate must be a function`)
  }
  return problems
}
