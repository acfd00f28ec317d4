// The brief's service_configs: one row per upstream service an admin configured.
// API keys are sealed with core/secrets.ts, the row's service name as associated data.
import type { Knex } from 'knex'
import type { Secrets, ServiceConfigRecord, ServiceField, Services, ServiceType } from './plugin-api.ts'
import { checkService } from './service-checks.ts'

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

/** `types` reads the running plugins' service types at call time (they register after this is made). */
export function createServices(db: Knex, secrets: Secrets, types: () => Array<ServiceType & { plugin: string }>): Omit<Services, 'save'> {
  // A service no type claims ("Other") has the fallback type's fields.
  const declaredFields = (name: string) => (types().find((t) => t.name === name) ?? types().find((t) => t.fallback))?.fields
  return {
    async get(serviceName) {
      const row = await db<ServiceConfigRow>('service_configs').where({ service_name: serviceName }).first()
      return row ? toRecord(row, secrets, declaredFields(row.service_name)) : null
    },
    async list() {
      const rows = await db<ServiceConfigRow>('service_configs').orderBy('service_name')
      return rows.map((row) => toRecord(row, secrets, declaredFields(row.service_name)))
    },
    types() {
      return types().map((t) => ({ name: t.name, label: t.label, plugin: t.plugin, fields: [...(t.fields ?? [])], fallback: t.fallback === true }))
    },
    async check(serviceName, options = {}) {
      const row = await db<ServiceConfigRow>('service_configs').where({ service_name: serviceName }).first()
      if (!row) return { ok: false, message: `No service named "${serviceName}" is configured.` }
      return checkService(types(), row, secrets, options)
    },
  }
}
