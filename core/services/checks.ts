// A service's health check: the plugin that owns the service type tests the row,
// bounded in time. Used by the admin's "Test connection" and by ctx.services.check
// (the monitor plugin checks every service without importing the plugins that own
// them). Whatever happens is turned into a result a person can read; the API key (and
// any secret field) is scrubbed from it in case a plugin's message repeats it.
import { UpstreamError, type Secrets, type ServiceConfigRecord, type ServiceTestResult, type ServiceType } from '../plugin-api.ts'
import { bounded } from '../bounded.ts'
import { kindOf, recordOf, typeForKind, type ServiceConfigRow } from './configs.ts'

export const DEFAULT_CHECK_TIMEOUT_MS = 10_000

export async function checkService(
  types: ServiceType[], row: ServiceConfigRow, secrets: Secrets,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ServiceTestResult> {
  if (!typeForKind(types, kindOf(types, row))) return noType(row.service_type ?? row.service_name)
  let record: ServiceConfigRecord
  try {
    record = recordOf(types, row, secrets)
  } catch (error) {
    return { ok: false, message: (error as Error)?.message || String(error), responseTimeMs: 0 }
  }
  return checkRecord(types, record, options)
}

const noType = (name: string): ServiceTestResult => ({ ok: false, message: `No enabled plugin knows how to test a '${name}' service.` })

/**
 * Tests a service as its record says, saved or not: the admin form's "Test" checks what
 * was typed before anything is stored.
 */
export async function checkRecord(
  types: ServiceType[], record: ServiceConfigRecord,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ServiceTestResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS
  const type = typeForKind(types, record.serviceType)
  if (!type) return noType(record.serviceType ?? record.serviceName)
  const began = performance.now()
  const seconds = Math.max(1, Math.round(timeoutMs / 1000))
  const timedOut = `${type.label} did not answer within ${seconds} s.`
  const secretFields = (type.fields ?? []).filter((f) => f.type === 'secret').map((f) => record.fields[f.name])
  const hidden = [record.apiKey, ...secretFields].map((v, i) => (typeof v === 'string' ? [v, i === 0 ? '[API key]' : '[secret]'] : null))
    .filter((v): v is [string, string] => v !== null)
  try {
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
    // The signal asks the plugin to stop; the bound holds even if it does not listen.
    const result = await bounded(type.test(record, signal), timeoutMs + 1000, timedOut)
    return {
      ok: result.ok === true,
      message: scrub(String(result.message ?? ''), hidden),
      responseTimeMs: Math.round(result.responseTimeMs ?? performance.now() - began),
    }
  } catch (error) {
    const e = error as Error
    const message = e?.name === 'TimeoutError' || e?.name === 'AbortError'
      ? (options.signal?.aborted ? `The check of ${type.label} was cancelled.` : timedOut)
      : error instanceof UpstreamError ? error.message : e?.message || String(error)
    return { ok: false, message: scrub(message, hidden), responseTimeMs: Math.round(performance.now() - began) }
  }
}

/** The API key and the secret fields, should a plugin's message repeat them. */
function scrub(message: string, hidden: Array<[string, string]>): string {
  return hidden.filter(([s]) => s.length >= 4).reduce((m, [s, label]) => m.split(s).join(label), message)
}
