// configureService(host, 'sonarr', { url, apiKey, fields, type? }): a service as an admin leaves
// it on Admin → Services, through the same store the form uses: the key and secret fields
// sealed, `core.service.updated` emitted (plugins that follow it see the change), the
// pages' per-person caches dropped. A second call for the same name updates it.
import type { ServiceConfigRow } from '../../core/services/configs.ts'
import { createServiceConfig, updateServiceConfig } from '../../core/services/store.ts'
import type { ApiKeyChange, FieldInput } from '../../core/services/fields.ts'
import type { Emit } from '../../core/lifecycle-events.ts'
import type { TestHost } from './test-host.ts'

export interface ServiceSettings {
  /** The service's address, http(s). */
  url: string
  /** Its kind, a running service type's name, for a second one of a kind ('sonarr' for "sonarr-4k"); default: its name when a type has it, else "Other". */
  type?: string
  /** Its API key; null or left out: none. */
  apiKey?: string | null
  /** The service type's plain declared fields (ServiceType.fields), by name. */
  fields?: Record<string, string | number | boolean | null>
  /** Its secret declared fields, by name: sealed as the form seals them. */
  secretFields?: Record<string, string>
  enabled?: boolean
}

export async function configureService(host: TestHost, serviceName: string, settings: ServiceSettings): Promise<void> {
  const core = host.app.core
  const emit: Emit = (event, payload, options) => core.bus.emit(event, payload, options)
  const apiKey: ApiKeyChange = settings.apiKey ? { set: settings.apiKey } : { clear: true }
  const fields: FieldInput | undefined = settings.fields || settings.secretFields
    ? { values: { ...settings.fields }, secrets: Object.fromEntries(Object.entries(settings.secretFields ?? {}).map(([k, v]) => [k, { set: v }])) }
    : undefined
  const kind = settings.type ?? (core.services.types().some((t) => t.name === serviceName && !t.fallback) ? serviceName : null)
  const input = { serviceName, serviceType: kind, serviceUrl: settings.url, apiKey, enabled: settings.enabled ?? true, configData: {}, ...(fields ? { fields } : {}) }
  const existing = await host.db<ServiceConfigRow>('service_configs').where({ service_name: serviceName }).first()
  if (existing) await updateServiceConfig(host.db, core.secrets, emit, existing.id, input, null)
  else await createServiceConfig(host.db, core.secrets, emit, input, null)
  core.viewerCaches.clear()
}
