// Shared by the server-half tests: the plex service configured as an admin would leave
// it (its token sealed), and signed-in people of either role.
import type { TestHost } from '../../support/test-host.ts'
import { apiKeyAad } from '../../../core/services/configs.ts'
import { resetBreakers } from '../../../core/upstream.ts'

/** Stores (or replaces) the plex service row: address, token sealed as the admin form seals it. */
export async function configurePlex(host: TestHost, serviceUrl: string, token: string | null, enabled = true): Promise<void> {
  resetBreakers()
  await host.db('service_configs').where({ service_name: 'plex' }).del()
  await host.db('service_configs').insert({
    service_name: 'plex', service_url: serviceUrl,
    api_key: token === null ? null : host.app.core.secrets.encrypt(token, apiKeyAad('plex')),
    enabled, config_data: JSON.stringify({}), sealed_fields: JSON.stringify({}), updated_at: host.db.fn.now(),
  })
}

export async function removePlex(host: TestHost): Promise<void> {
  await host.db('service_configs').where({ service_name: 'plex' }).del()
}

export async function signedInAdmin(host: TestHost) {
  return host.signedIn(await host.createUser({ role: 'ADMIN' }))
}
