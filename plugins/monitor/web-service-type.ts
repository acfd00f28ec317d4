// "Test connection" for a service no plugin owns (added as "Other", with just an
// address): the fallback service type (API 1.2) runs the same HTTP check the board
// does, with the service's own expectStatus, keyword and timeout.
import type { ServiceType } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'
import { probeHttp } from './probes.ts'
import { targetsFrom } from './targets.ts'
import { trustedCas } from './trusted-cas.ts'

export function webServiceType(ctx: MonitorContext): ServiceType {
  return {
    name: 'web', label: 'Web address', fallback: true,
    async test(service, signal) {
      // No types given: the service is what it is to an "Other", an HTTP check of its address.
      const [target] = targetsFrom(ctx.config, [{ ...service, enabled: true }], [])
      const result = await probeHttp({ url: service.serviceUrl, expect: target.expect, keyword: target.keyword, ca: trustedCas(ctx) }, target.timeoutMs, signal)
      return { ok: result.ok, message: result.message, responseTimeMs: result.responseTimeMs ?? undefined }
    },
  }
}
