// The brief's service_configs: one row per upstream service an admin configured.
// API keys are sealed with core/secrets.ts, the row's service name as associated data.
// A row's kind (service_type) is apart from its name, so one kind may have several
// services ("overseerr" and "overseerr-4k"); null reads as before the column: the name
// is the kind when a type of that name runs, else the row is "Other".
import type { Secrets, ServiceConfigRecord, ServiceField, ServiceType } from '../plugin-api.ts'

export interface ServiceConfigRow {
  id: number
  service_name: string
  /** The kind, e.g. 'overseerr'; null: by the name, or "Other" (see the top of this file). */
  service_type?: string | null
  service_url: string
  api_key: string | null
  enabled: boolean
  config_data: Record<string, unknown> | null
  /** The type's secret fields, each sealed under fieldAad(service, field). */
  sealed_fields?: Record<string, string> | null
  updated_at: Date
  updated_by: string | null
}

/**
 * The kind of a row as the running plugins see it: its stored kind, else its name when a
 * (non-fallback) type has that name, else null ("Other"). A stored kind whose plugin is
 * off stays its kind: the row is not "Other" while the plugin is away.
 */
export function kindOf(types: ReadonlyArray<Pick<ServiceType, 'name' | 'fallback'>>, row: Pick<ServiceConfigRow, 'service_name' | 'service_type'>): string | null {
  if (row.service_type) return row.service_type
  return types.some((t) => t.name === row.service_name && !t.fallback) ? row.service_name : null
}

/** The type that tests and describes a row of this kind: the kind's own, else the fallback type ("Other", or a kind whose plugin is off). */
export function typeForKind<T extends Pick<ServiceType, 'name' | 'fallback'>>(types: readonly T[], kind: string | null): T | undefined {
  return (kind === null ? undefined : types.find((t) => t.name === kind && !t.fallback)) ?? types.find((t) => t.fallback)
}

export const apiKeyAad = (serviceName: string) => `service_configs:${serviceName}:api_key`

export const fieldAad = (serviceName: string, field: string) => `service_configs:${serviceName}:field:${field}`

type FieldValue = string | number | boolean | null

/**
 * The declared fields' values: plain ones from config_data, secret ones opened from
 * sealed_fields. A sealed field the type no longer declares is still opened (a plugin
 * may be mid-upgrade); a declared field never set reads null.
 */
export function fieldValues(row: ServiceConfigRow, secrets: Secrets, declared: ServiceField[] = []): Record<string, FieldValue> {
  const values: Record<string, FieldValue> = {}
  const data = row.config_data ?? {}
  for (const f of declared) {
    if (f.type === 'secret') { values[f.name] = null; continue }
    const v = data[f.name]
    values[f.name] = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null
  }
  for (const [name, sealed] of Object.entries(row.sealed_fields ?? {})) {
    if (typeof sealed === 'string') values[name] = secrets.decrypt(sealed, fieldAad(row.service_name, name))
  }
  return values
}

export function toRecord(row: ServiceConfigRow, secrets: Secrets, declared: ServiceField[] | undefined, kind: string | null): ServiceConfigRecord {
  return {
    id: row.id,
    serviceName: row.service_name,
    serviceType: kind,
    serviceUrl: row.service_url,
    apiKey: row.api_key ? secrets.decrypt(row.api_key, apiKeyAad(row.service_name)) : null,
    enabled: row.enabled,
    configData: row.config_data ?? {},
    fields: fieldValues(row, secrets, declared),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  }
}

/** A row as plugins read it, with its kind and its kind's declared fields. */
export function recordOf(types: ReadonlyArray<Pick<ServiceType, 'name' | 'fallback' | 'fields'>>, row: ServiceConfigRow, secrets: Secrets): ServiceConfigRecord {
  const kind = kindOf(types, row)
  return toRecord(row, secrets, typeForKind(types, kind)?.fields, kind)
}
