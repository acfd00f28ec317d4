// monitor's config slice (plugins.monitor.config) and the context type its files share.
import { z, type PluginContext } from 'medianest/plugin-api'
import { MAX_KEYWORD, METHODS, readExpectations } from './http-expectations.ts'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** '60s' → 60000; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text.trim())
  return match ? Number(match[1]) * UNIT_MS[match[2]] : null
}

/** A duration setting, kept as its text (as the admin wrote it) and bounded. */
function duration(fallback: string, minMs: number, maxMs: number, what: string) {
  return z.string().default(fallback).superRefine((text, ctx) => {
    const ms = parseDuration(text)
    if (ms === null) ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration: write it like 30s, 5m or 7d.` })
    else if (ms < minMs || ms > maxMs) ctx.addIssue({ code: 'custom', message: `${what} must be between ${fmt(minMs)} and ${fmt(maxMs)}, not ${text}.` })
  })
}
function optionalDuration(minMs: number, maxMs: number, what: string) {
  return z.string().superRefine((text, ctx) => {
    const ms = parseDuration(text)
    if (ms === null) ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration: write it like 30s, 5m or 7d.` })
    else if (ms < minMs || ms > maxMs) ctx.addIssue({ code: 'custom', message: `${what} must be between ${fmt(minMs)} and ${fmt(maxMs)}, not ${text}.` })
  }).optional()
}
const fmt = (ms: number) => (ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`)

export const MIN_INTERVAL_MS = 5_000
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

const CHECK_NAME = /^[a-z][a-z0-9-]{1,63}$/

/** An extra target in the config: an HTTP(S) address or a TCP host:port. */
const extraCheck = z.object({
  name: z.string().regex(CHECK_NAME, 'Use 2 to 64 characters: lower-case letters, digits and dashes, starting with a letter.'),
  label: z.string().trim().min(1).max(80).optional(),
  url: z.url({ protocol: /^https?$/, message: 'Write an http:// or https:// address.' }).optional(),
  tcp: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'Write host:port, like 192.168.1.10:32400.').optional(),
  expectStatus: z.string().default('200-399'),
  keyword: z.string().min(1).max(MAX_KEYWORD).optional(),
  keywordAbsent: z.boolean().default(false),
  method: z.enum(METHODS).default('GET'),
  headers: z.record(z.string(), z.string()).optional(),
  jsonPath: z.string().min(1).optional(),
  jsonEquals: z.string().min(1).optional(),
  // No defaults here: a check without its own takes the plugin-wide interval and timeout.
  interval: optionalDuration(MIN_INTERVAL_MS, 86_400_000, 'A check interval'),
  timeout: optionalDuration(500, 120_000, 'A check timeout'),
  retries: z.int().min(0).max(10).optional(),
  retryInterval: optionalDuration(MIN_INTERVAL_MS, 86_400_000, 'A retry interval'),
  severity: z.enum(SEVERITIES).default('medium'),
}).strict().superRefine((c, ctx) => {
  if (!c.url === !c.tcp) ctx.addIssue({ code: 'custom', path: ['url'], message: `Check "${c.name}": give either url or tcp, not both and not neither.` })
  if (c.tcp && (c.keyword || c.jsonPath)) ctx.addIssue({ code: 'custom', path: [c.keyword ? 'keyword' : 'jsonPath'], message: `Check "${c.name}": a keyword or JSON path needs an HTTP check (url).` })
  // The same rules as a service's fields on the admin's form (basic auth is only there: sealed, not in a file).
  for (const [key, message] of Object.entries(readExpectations(c).problems)) ctx.addIssue({ code: 'custom', path: [key], message: `Check "${c.name}": ${message}` })
})
export type ExtraCheck = z.output<typeof extraCheck>

export const monitorConfig = z.object({
  /** How often each service is checked; a service may override it. */
  interval: duration('60s', MIN_INTERVAL_MS, 86_400_000, 'interval'),
  /** Longest one check may take. */
  timeout: duration('10s', 500, 120_000, 'timeout'),
  /** Checks running at once. */
  concurrency: z.int().min(1).max(64).default(8),
  /**
   * Uptime Kuma's retries: a failing check makes a service "pending" and it is checked again
   * after retryInterval; only when `retries` more checks have failed is it DOWN (and an
   * incident opens). 0: DOWN at the first failure. A service may set its own.
   */
  retries: z.int().min(0).max(10).optional(),
  /** How soon a pending service is checked again; a service may set its own. */
  retryInterval: duration('20s', MIN_INTERVAL_MS, 86_400_000, 'retryInterval'),
  /** Before retries: consecutive failed checks that opened an incident. Still read (retries = this − 1) when retries is not set. */
  failuresBeforeIncident: z.int().min(1).max(11).optional(),
  /** An answer slower than this counts as degraded. */
  degradedAboveMs: z.int().min(1).max(600_000).default(2000),
  /** A PEM file of certificate authorities trusted besides the system's (a household's own CA). */
  caFile: z.string().trim().min(1).optional(),
  /** Days before a certificate expires when admins are warned, once per threshold. */
  certWarnDays: z.array(z.int().min(1).max(365)).max(5).default([21, 7]).transform((d) => [...new Set(d)].sort((a, b) => b - a)),
  /** How long raw check rows are kept before only hourly rollups remain. */
  rawRetention: duration('7d', 3_600_000 * 2, 90 * 86_400_000, 'rawRetention'),
  /** Extra addresses to watch, beyond the services in Admin → Services. */
  checks: z.array(extraCheck).max(500).default([]).superRefine((checks, ctx) => {
    const seen = new Set<string>()
    checks.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `Two checks are named "${c.name}": names must be unique.` })
      seen.add(c.name)
    })
  }),
}).transform((c) => ({ ...c, retries: c.retries ?? (c.failuresBeforeIncident !== undefined ? c.failuresBeforeIncident - 1 : 1) })).superRefine((c, ctx) => {
  const interval = parseDuration(c.interval)
  const timeout = parseDuration(c.timeout)
  if (interval !== null && timeout !== null && interval >= MIN_INTERVAL_MS && timeout > interval) {
    ctx.addIssue({ code: 'custom', path: ['timeout'], message: `timeout (${c.timeout}) must not be longer than interval (${c.interval}).` })
  }
})

export type MonitorConfig = z.output<typeof monitorConfig>
export type MonitorContext = PluginContext<MonitorConfig>
