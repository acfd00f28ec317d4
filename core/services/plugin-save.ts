// ctx.services.save (1.2): a plugin writes a service of a type it owns (plex-auth saves
// the server its owner picked during setup). The same rules as the admin form: an
// http(s) address, the key sealed, a key dropped when the address moves to another
// server, `core.service.updated` emitted with the row.
import type { Knex } from 'knex'
import { BadInput, Conflict, type Secrets, type ServiceSave } from '../plugin-api.ts'
import { createServiceConfig, updateServiceConfig } from './store.ts'
import type { ApiKeyChange } from './fields.ts'
import { SERVICE_NAME, SERVICE_NAME_RULE, serviceUrl } from './url.ts'
import type { ServiceConfigRow } from './configs.ts'
import type { Emit } from '../lifecycle-events.ts'

export interface ServiceSaveDeps { db: Knex; secrets: Secrets; emit: Emit }

/** `serviceType` is a type the calling plugin owns (the caller checked); a name another kind holds is refused. */
export async function saveOwnedService(deps: ServiceSaveDeps, serviceName: string, serviceType: string, input: ServiceSave, actorId: string | null): Promise<void> {
  if (!SERVICE_NAME.test(serviceName)) throw new BadInput(`"${serviceName.slice(0, 80)}" is not a service name: ${SERVICE_NAME_RULE}`)
  const url = serviceUrl.safeParse(input.url)
  if (!url.success) throw new BadInput(`The address of the service "${serviceName}": ${url.error.issues[0].message}`, { url: url.error.issues[0].message })
  const apiKey: ApiKeyChange = input.apiKey === undefined ? { keep: true } : input.apiKey === null ? { clear: true } : { set: input.apiKey }
  const existing = await deps.db<ServiceConfigRow>('service_configs').where({ service_name: serviceName }).first()
  // A row written before kinds were stored is of the kind its name says.
  if (existing && (existing.service_type ?? existing.service_name) !== serviceType) {
    throw new Conflict(`A service named "${serviceName}" of another kind (${existing.service_type ?? 'Other'}) is already configured.`)
  }
  const fields = { serviceName, serviceType, serviceUrl: url.data, apiKey, enabled: input.enabled ?? true }
  if (existing) {
    await updateServiceConfig(deps.db, deps.secrets, deps.emit, existing.id, { ...fields, enabled: input.enabled ?? existing.enabled, configData: existing.config_data ?? {} }, actorId)
  } else {
    await createServiceConfig(deps.db, deps.secrets, deps.emit, { ...fields, configData: {} }, actorId)
  }
}
