// A service no plugin owns (added as "Other", with a name and an address): the fallback
// service type (API 1.2). Its fields (1.11) are that service's form in Admin → Services:
// how often and how it is checked, and what its HTTP answer must show, each checked
// with its error beside it (1.11 validate); the basic-auth password is sealed like an
// API key. "Test connection" runs the same HTTP check the board does.
import type { ServiceField, ServiceType } from 'medianest/plugin-api'
import { parseDuration, SEVERITIES, MIN_INTERVAL_MS, type MonitorContext } from './plugin-config.ts'
import { probeHttp } from './probes.ts'
import { targetsFrom } from './targets.ts'
import { trustedCas } from './trusted-cas.ts'
import { METHODS, readExpectations } from './http-expectations.ts'

const fields: ServiceField[] = [
  { name: 'displayName', label: 'Name on the status board', type: 'text', help: 'Leave empty to show the service\'s name.' },
  { name: 'method', label: 'HTTP method', type: 'text', help: `${METHODS.join(', ')}; GET when empty.` },
  { name: 'headers', label: 'Request headers', type: 'textarea', help: 'One per line, like X-Api-Key: abc123. Shown again on this form: put a password in the basic-auth field below.' },
  { name: 'basicAuthUser', label: 'Basic-auth user name', type: 'text' },
  { name: 'basicAuthPassword', label: 'Basic-auth password', type: 'secret', help: 'Sealed like an API key; never shown again or logged. Sent only to this address, never after a redirect to another.' },
  { name: 'expectStatus', label: 'Statuses that count as up', type: 'text', help: 'A status or a range, like 200 or 200-399 (when empty).' },
  { name: 'keyword', label: 'Keyword', type: 'text', help: 'Text the answer must contain (in its first 1 MiB).' },
  { name: 'keywordAbsent', label: 'Down when the keyword IS in the answer (a page saying "maintenance", say)', type: 'checkbox' },
  { name: 'jsonPath', label: 'JSON path', type: 'text', help: 'RFC 9535, like $.status or $.services[0].healthy: the answer must be JSON with something there.' },
  { name: 'jsonEquals', label: 'JSON value expected', type: 'text', help: 'What the path must hold, like ok or true; empty: anything.' },
  { name: 'interval', label: 'Check every', type: 'text', help: 'Like 30s or 5m; the monitor\'s interval when empty.' },
  { name: 'timeout', label: 'Timeout', type: 'text', help: 'Like 10s; the monitor\'s timeout when empty.' },
  { name: 'retries', label: 'Retries before down', type: 'number', help: 'Failed checks that leave it "pending" first (0 to 10).' },
  { name: 'retryInterval', label: 'Retry every', type: 'text', help: 'Like 20s.' },
  { name: 'severity', label: 'Severity of its incidents', type: 'text', help: `${SEVERITIES.join(', ')}; medium when empty.` },
]

type Values = Record<string, string | number | boolean | null>
const text = (v: Values[string]) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '')

/** Every field's problem, in words (the HTTP ones from the same rules as the config's checks). */
export function webFieldProblems(values: Values): Record<string, string> {
  const problems: Record<string, string> = { ...readExpectations(values).problems }
  const between = (key: string, minMs: number, maxMs: number, example: string) => {
    const t = text(values[key])
    if (!t) return
    const ms = parseDuration(t)
    if (ms === null) problems[key] = `"${t.slice(0, 20)}" is not a duration: write it like ${example}.`
    else if (ms < minMs || ms > maxMs) problems[key] = `Use between ${minMs / 1000} s and ${maxMs >= 86_400_000 ? `${maxMs / 86_400_000} day` : `${maxMs / 1000} s`}.`
  }
  between('interval', MIN_INTERVAL_MS, 86_400_000, '30s or 5m')
  between('timeout', 500, 120_000, '10s')
  between('retryInterval', MIN_INTERVAL_MS, 86_400_000, '20s')
  const retries = values.retries
  if (retries !== null && retries !== undefined && retries !== '' && !(Number.isInteger(Number(retries)) && Number(retries) >= 0 && Number(retries) <= 10)) problems.retries = 'Use a whole number from 0 to 10.'
  const severity = text(values.severity)
  if (severity && !(SEVERITIES as readonly string[]).includes(severity)) problems.severity = `Use one of ${SEVERITIES.join(', ')}.`
  if (text(values.displayName).length > 80) problems.displayName = 'Use at most 80 characters.'
  return problems
}

export function webServiceType(ctx: MonitorContext): ServiceType {
  return {
    name: 'web', label: 'Web address', fallback: true, fields,
    validate: webFieldProblems,
    async test(service, signal) {
      // No types given: the service is what it is to an "Other", an HTTP check of its address.
      const [target] = targetsFrom(ctx.config, [{ ...service, enabled: true }], [])
      if (target.settingsProblem) return { ok: false, message: target.settingsProblem }
      const result = await probeHttp({ ...target.http, url: service.serviceUrl, ca: trustedCas(ctx) }, target.timeoutMs, signal)
      return { ok: result.ok, message: result.message, responseTimeMs: result.responseTimeMs ?? undefined }
    },
  }
}
