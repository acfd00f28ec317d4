// The brief's service_configs: one row per upstream service an admin configured.
// API keys are sealed with core/secrets.ts, the row's service name as associated data.
import type { Knex } from 'knex'
import type { Secrets, ServiceConfigRecord, Services, ServiceType } from './plugin-api.ts'
import { checkService } from './service-checks.ts'

export interface ServiceConfigRow {
  id: number
  service_name: string
  service_url: string
  api_key: string | null
  enabled: boolean
  config_data: Record<string, unknown> | null
  updated_at: Date
  updated_by: string | null
}

export const apiKeyAad = (serviceName: string) => `service_configs:${serviceName}:api_key`

export function toRecord(row: ServiceConfigRow, secrets: Secrets): ServiceConfigRecord {
  return {
    id: row.id,
    serviceName: row.service_name,
    serviceUrl: row.service_url,
    apiKey: row.api_key ? secrets.decrypt(row.api_key, apiKeyAad(row.service_name)) : null,
    enabled: row.enabled,
    configData: row.config_data ?? {},
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  }
}

/** `types` reads the running plugins' service types at call time (they register after this is made). */
export function createServices(db: Knex, secrets: Secrets, types: () => Array<ServiceType & { plugin: string }>): Services {
  return {
    async get(serviceName) {
      const row = await db<ServiceConfigRow>('service_configs').where({ service_name: serviceName }).first()
      return row ? toRecord(row, secrets) : null
    },
    async list() {
      const rows = await db<ServiceConfigRow>('service_configs').orderBy('service_name')
      return rows.map((row) => toRecord(row, secrets))
    },
    types() {
      return types().map((t) => ({ name: t.name, label: t.label, plugin: t.plugin, fields: [...(t.fields ?? [])] }))
    },
    async check(serviceName, options = {}) {
      const row = await db<ServiceConfigRow>('service_configs').where({ service_name: serviceName }).first()
      if (!row) return { ok: false, message: `No service named "${serviceName}" is configured.` }
      return checkService(types(), row, secrets, options)
    },
  }
}
