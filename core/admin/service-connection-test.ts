// "Test connection": the plugin that owns the service type checks the row, bounded in
// time. Whatever happens is turned into a result a person can read; the API key is
// scrubbed from it in case a plugin's message repeats it.
import { UpstreamError, type Secrets, type ServiceTestResult, type ServiceType } from '../plugin-api.ts'
import { bounded } from '../plugins/host.ts'
import { toRecord, type ServiceConfigRow } from '../service-configs.ts'

export const TEST_TIMEOUT_MS = 15_000

export async function testServiceConnection(
  types: ServiceType[], row: ServiceConfigRow, secrets: Secrets, timeoutMs = TEST_TIMEOUT_MS,
): Promise<ServiceTestResult> {
  const type = types.find((t) => t.name === row.service_name)
  if (!type) return { ok: false, message: `No enabled plugin knows how to test a '${row.service_name}' service.` }
  let apiKey: string | null = null
  const began = performance.now()
  try {
    const record = toRecord(row, secrets)
    apiKey = record.apiKey
    const seconds = Math.round(timeoutMs / 1000)
    // The signal asks the plugin to stop; the bound holds even if it does not listen.
    const result = await bounded(type.test(record, AbortSignal.timeout(timeoutMs)), timeoutMs + 1000, `${type.label} did not answer within ${seconds} s.`)
    return {
      ok: result.ok === true,
      message: scrub(String(result.message ?? ''), apiKey),
      responseTimeMs: Math.round(result.responseTimeMs ?? performance.now() - began),
    }
  } catch (error) {
    const e = error as Error
    const message = e?.name === 'TimeoutError' || e?.name === 'AbortError'
      ? `${type.label} did not answer within ${Math.round(timeoutMs / 1000)} s.`
      : error instanceof UpstreamError ? error.message : e?.message || String(error)
    return { ok: false, message: scrub(message, apiKey) }
  }
}

function scrub(message: string, apiKey: string | null): string {
  return apiKey && apiKey.length >= 4 ? message.split(apiKey).join('[API key]') : message
}
