// ctx.services for plugins (save aside, ./plugin-save.ts): the configured services with
// their keys unsealed, the running plugins' service types, and a health check of any
// service through the plugin that owns its type.
import type { Knex } from 'knex'
import type { Secrets, Services, ServiceType } from '../plugin-api.ts'
import { kindOf, recordOf, type ServiceConfigRow } from './configs.ts'
import { checkService } from './checks.ts'

/** `types` reads the running plugins' service types at call time (they register after this is made). */
export function createServices(db: Knex, secrets: Secrets, types: () => Array<ServiceType & { plugin: string }>): Omit<Services, 'save'> {
  return {
    async get(serviceName) {
      const row = await db<ServiceConfigRow>('service_configs').where({ service_name: serviceName }).first()
      return row ? recordOf(types(), row, secrets) : null
    },
    async list(type?: string) {
      const rows = await db<ServiceConfigRow>('service_configs').orderBy('service_name')
      // A kind is known for a row only with the running types at hand (a null kind may be its name).
      const running = types()
      return rows.filter((row) => type === undefined || kindOf(running, row) === type).map((row) => recordOf(running, row, secrets))
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
