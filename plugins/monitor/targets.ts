// What is watched: every enabled service in Admin → Services, and every extra check in
// the config. A service whose type a running plugin owns is checked by that plugin's
// own health check (ctx.services.check, API 1.1), so the monitor never imports it; a
// service added as "Other" (a name and just a URL: the core's form already expresses
// it) gets an HTTP check of its address; `uptime-kuma` is this plugin's own type, whose
// check is the import of its status page (the service named `uptime-kuma`: a second one
// of that kind is checked like any typed service, its page read but not mirrored, since
// mirrored rows are keyed by Kuma's monitor ids). Several services of one kind (1.13) are
// each a row, named apart: "Overseerr" and "Overseerr (overseerr-4k)". Per-service settings come from the
// service's fields (the web type's for an "Other" service, the uptime-kuma type's, or
// config_data keys of the same names): `interval`, `timeout`, `retries`, `retryInterval`,
// `severity`, and the HTTP expectations (http-expectations.ts).
import type { ServiceConfigRecord, ServiceTypeInfo } from 'medianest/plugin-api'
import { parseDuration, SEVERITIES, MIN_INTERVAL_MS, type MonitorConfig, type Severity } from './plugin-config.ts'
import { readExpectations, type HttpExpectations } from './http-expectations.ts'

export const KUMA_TYPE = 'uptime-kuma'

export type TargetKind = 'http' | 'tcp' | 'service-type' | 'kuma-import'
export type TargetSource = 'service' | 'check' | 'kuma'

export interface Target {
  /** service_status.service_name: the service's own name, `check:<name>` or `kuma:<id>`. */
  name: string
  displayName: string
  source: TargetSource
  kind: TargetKind
  /** The address (admins only ever see it). */
  target: string | null
  intervalMs: number
  timeoutMs: number
  /** Failed checks retried (the service "pending") before it is DOWN; retryIntervalMs apart. */
  retries: number
  retryIntervalMs: number
  severity: Severity
  http: HttpExpectations
  /** Settings stored before they were checked that do not hold: the check is DOWN saying so. */
  settingsProblem: string | null
}

export const checkName = (name: string) => `check:${name}`

export function targetsFrom(config: MonitorConfig, services: ServiceConfigRecord[], types: ServiceTypeInfo[]): Target[] {
  const defaults = { intervalMs: parseDuration(config.interval)!, timeoutMs: parseDuration(config.timeout)!, retries: config.retries, retryIntervalMs: parseDuration(config.retryInterval)! }
  const typed = new Map(types.map((t) => [t.name, t]))
  const out: Target[] = []
  for (const s of services.filter((x) => x.enabled)) {
    const own = serviceSettings(s, defaults)
    const type = s.serviceType === null ? undefined : typed.get(s.serviceType)
    out.push({
      name: s.serviceName,
      displayName: displayNameOf(s, type?.label),
      source: 'service',
      kind: s.serviceName === KUMA_TYPE && s.serviceType === KUMA_TYPE ? 'kuma-import' : type && !type.fallback ? 'service-type' : 'http',
      target: s.serviceUrl,
      ...own,
    })
  }
  for (const c of config.checks) {
    out.push({
      name: checkName(c.name),
      displayName: c.label ?? c.name,
      source: 'check',
      kind: c.url ? 'http' : 'tcp',
      target: c.url ?? c.tcp!,
      intervalMs: c.interval ? parseDuration(c.interval)! : defaults.intervalMs,
      timeoutMs: c.timeout ? parseDuration(c.timeout)! : defaults.timeoutMs,
      retries: c.retries ?? defaults.retries,
      retryIntervalMs: c.retryInterval ? parseDuration(c.retryInterval)! : defaults.retryIntervalMs,
      severity: c.severity,
      // The config was checked at boot: these hold.
      http: readExpectations(c).value,
      settingsProblem: null,
    })
  }
  return out
}

/**
 * The name the board shows: the admin's own (`displayName` in the service's JSON box), else
 * the type's label without its asides ("Overseerr (or Jellyseerr)" → "Overseerr"), else the service's name.
 */
function displayNameOf(s: ServiceConfigRecord, typeLabel: string | undefined): string {
  const own = s.configData.displayName
  if (typeof own === 'string' && own.trim()) return own.trim().slice(0, 80)
  const label = typeLabel?.replace(/\s*\([^)]*\)\s*/g, ' ').trim()
  if (!label) return s.serviceName
  // The second of a kind is told apart by its name.
  return s.serviceName === s.serviceType ? label : `${label} (${s.serviceName})`
}

/** A service's own settings; anything unreadable falls back to the default (its form refuses such values now). */
function serviceSettings(s: ServiceConfigRecord, defaults: { intervalMs: number; timeoutMs: number; retries: number; retryIntervalMs: number }) {
  const read = (key: string): string | null => {
    const v = s.fields[key] ?? s.configData[key]
    return typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null
  }
  const interval = read('interval')
  const intervalMs = interval ? parseDuration(interval) : null
  const timeout = read('timeout')
  const timeoutMs = timeout ? parseDuration(timeout) : null
  const severity = read('severity')
  const retries = Number(read('retries') ?? NaN)
  const retryInterval = read('retryInterval')
  const retryIntervalMs = retryInterval ? parseDuration(retryInterval) : null
  const expectations = readExpectations({
    method: read('method'), headers: s.fields.headers ?? s.configData.headers, basicAuthUser: read('basicAuthUser'), basicAuthPassword: s.fields.basicAuthPassword,
    expectStatus: read('expectStatus'), keyword: s.fields.keyword ?? s.configData.keyword, keywordAbsent: s.fields.keywordAbsent ?? s.configData.keywordAbsent,
    jsonPath: read('jsonPath'), jsonEquals: read('jsonEquals'),
  })
  const problems = Object.values(expectations.problems)
  return {
    retries: Number.isInteger(retries) && retries >= 0 && retries <= 10 ? retries : defaults.retries,
    retryIntervalMs: retryIntervalMs && retryIntervalMs >= MIN_INTERVAL_MS ? retryIntervalMs : defaults.retryIntervalMs,
    intervalMs: intervalMs && intervalMs >= MIN_INTERVAL_MS ? intervalMs : defaults.intervalMs,
    timeoutMs: timeoutMs && timeoutMs >= 500 && timeoutMs <= 120_000 ? timeoutMs : defaults.timeoutMs,
    severity: (SEVERITIES as readonly string[]).includes(severity ?? '') ? (severity as Severity) : 'medium',
    http: expectations.value,
    settingsProblem: problems.length ? `Its check settings do not hold (edit the service): ${problems.join(' ')}` : null,
  }
}
