// The brief's service_configs: one row per upstream service an admin configured.
// API keys are sealed with core/secrets.ts, the row's service name as associated data.
import type { Secrets, ServiceConfigRecord, ServiceField } from '../plugin-api.ts'

export interface ServiceConfigRow {
  id: number
  service_name: string
  service_url: string
  api_key: string | null
  enabled: boolean
  config_data: Record<string, unknown> | null
  /** The type's secret fields, each sealed under fieldAad(service, field). */
  sealed_fields?: Record<string, string> | null
  updated_at: Date
  updated_by: string | null
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

export function toRecord(row: ServiceConfigRow, secrets: Secrets, declared?: ServiceField[]): ServiceConfigRecord {
  return {
    id: row.id,
    serviceName: row.service_name,
    serviceUrl: row.service_url,
    apiKey: row.api_key ? secrets.decrypt(row.api_key, apiKeyAad(row.service_name)) : null,
    enabled: row.enabled,
    configData: row.config_data ?? {},
    fields: fieldValues(row, secrets, declared),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  }
}
