// ctx.services.save (1.2): a plugin writes a service of a type it owns (plex-auth saves
// the server its owner picked during setup). The same rules as the admin form: an
// http(s) address, the key sealed, a key dropped when the address moves to another
// server, `core.service.updated` emitted with the row.
import type { Knex } from 'knex'
import { BadInput, type Secrets, type ServiceSave } from '../plugin-api.ts'
import { createServiceConfig, updateServiceConfig } from './store.ts'
import type { ApiKeyChange } from './fields.ts'
import { serviceUrl } from './url.ts'
import type { ServiceConfigRow } from './configs.ts'
import type { Emit } from '../lifecycle-events.ts'

export interface ServiceSaveDeps { db: Knex; secrets: Secrets; emit: Emit }

export async function saveOwnedService(deps: ServiceSaveDeps, serviceName: string, input: ServiceSave, actorId: string | null): Promise<void> {
  const url = serviceUrl.safeParse(input.url)
  if (!url.success) throw new BadInput(`The address of the service "${serviceName}": ${url.error.issues[0].message}`, { url: url.error.issues[0].message })
  const apiKey: ApiKeyChange = input.apiKey === undefined ? { keep: true } : input.apiKey === null ? { clear: true } : { set: input.apiKey }
  const existing = await deps.db<ServiceConfigRow>('service_configs').where({ service_name: serviceName }).first()
  const fields = { serviceName, serviceUrl: url.data, apiKey, enabled: input.enabled ?? true }
  if (existing) {
    await updateServiceConfig(deps.db, deps.secrets, deps.emit, existing.id, { ...fields, enabled: input.enabled ?? existing.enabled, configData: existing.config_data ?? {} }, actorId)
  } else {
    await createServiceConfig(deps.db, deps.secrets, deps.emit, { ...fields, configData: {} }, actorId)
  }
}
