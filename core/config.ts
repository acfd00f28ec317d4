// One schema for the whole configuration. Sources, later wins:
// defaults < medianest.config.json (or $MEDIANEST_CONFIG) < environment.
import { isTimeZone } from './time-zones.ts'
import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 30s, 15m, 6h or 7d')

const pluginEntry = z.strictObject({
  enabled: z.boolean().default(true),
  config: z.record(z.string(), z.unknown()).default({}),
  source: z.string().min(1).optional()
    .describe('Community plugins only: a folder (relative to the config file) or an npm package name'),
  onStartFailure: z.enum(['abort', 'disable']).default('abort'),
})

const rateLimit = z.strictObject({
  limit: z.int().min(1),
  window: duration,
})

/** One plain address, or "Name <address>": no line break, no second address. */
export function isMailbox(value: string): boolean {
  if (/[\r\n\0,;]/.test(value)) return false
  const m = /^(?:"?([^"<>]*)"?\s*<([^<>\s]+)>|([^<>\s]+))$/.exec(value.trim())
  const address = m?.[2] ?? m?.[3]
  return !!address && z.email().safeParse(address).success
}

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  port: z.int().min(0).max(65535).default(3000),
  host: z.string().min(1).default('0.0.0.0'),
  /** The address people use, e.g. https://media.example.com; decides Secure cookies. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** The site's time zone (IANA, e.g. Europe/Berlin): dates for people who chose none. Default: the server's. */
  timeZone: z.string().refine(isTimeZone, 'an IANA time zone this server knows, e.g. Europe/Berlin or America/New_York').optional(),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
  dataDir: z.string().min(1).default('./data'),
  secret: z.string().min(32, 'at least 32 characters').optional()
    .describe('Key material for secrets at rest; generated into dataDir when absent'),
  logLevel: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  /** Number of reverse proxies in front of MediaNest (never "trust everything"). */
  trustProxy: z.int().min(0).max(10).default(0),
  shutdownTimeout: duration.default('5s')
    .describe('The whole shutdown, at most: requests in flight get half of it, running jobs until 70 %, then the process exits (keep it under the container\'s stop grace period, 10 s in Docker)'),
  sessions: z.strictObject({
    idle: duration.default('7d'),
    absolute: duration.default('30d'),
  }).prefault({}),
  // Sign-in limits count failed attempts only (see core/accounts.ts for the policy).
  rateLimits: z.strictObject({
    login: rateLimit.default({ limit: 10, window: '15m' })
      .describe('Failed sign-ins from one address (IPv6: one /56), whatever the account'),
    loginAccountAddress: rateLimit.default({ limit: 10, window: '15m' })
      .describe('Failed sign-ins to one account from one address (IPv6: one /56)'),
    loginAccount: rateLimit.default({ limit: 100, window: '15m' })
      .describe('Failed sign-ins to one account from all addresses together; keep it well above loginAccountAddress'),
    authenticated: rateLimit.default({ limit: 300, window: '1m' }),
  }).prefault({}),
  live: z.strictObject({
    maxStreams: z.int().min(1).default(500)
      .describe('Open /events streams this process takes; more are refused with 429 (each is a file descriptor)'),
    maxStreamsPerUser: z.int().min(1).max(100).default(10)
      .describe("Open /events streams per user in this process; a new one closes the user's oldest"),
    maxAnonymousStreams: z.int().min(0).default(100)
      .describe('Of maxStreams, streams of signed-out pages (a public status page) this process takes; more are refused with 429. 0: none'),
    maxAnonymousStreamsPerAddress: z.int().min(1).max(100).default(4)
      .describe("Signed-out streams per client address; a new one closes that address's oldest"),
  }).prefault({}),
  errorLog: z.strictObject({
    retention: duration.default('30d').describe('error_logs rows older than this are deleted (hourly)'),
    maxRows: z.int().min(100).default(100_000).describe('At most this many newest error_logs rows are kept'),
    serverErrorsPerMinute: z.int().min(1).default(60)
      .describe('5xx stored one by one per process, at most; more are counted in a summary row'),
    summaryWindow: duration.default('10m')
      .describe('Refused requests (4xx) are counted, and written as one summary row per kind this often'),
  }).prefault({}),
  bootstrapAdmin: z.strictObject({
    email: z.email(),
    password: z.string().min(12, 'at least 12 characters'),
  }).optional(),
  plugins: z.record(
    z.string().regex(/^[a-z][a-z0-9-]{1,39}$/, 'lower-case letters, digits and dashes, starting with a letter'),
    pluginEntry,
  ).default({}),
  metrics: z.strictObject({
    token: z.string().min(32, 'at least 32 characters').optional()
      .describe('Bearer token a Prometheus scraper sends to GET /metrics; without it /metrics is off (404)'),
  }).prefault({}),
  mail: z.strictObject({
    host: z.string().trim().min(1).max(253).describe('SMTP server host name'),
    port: z.int().min(1).max(65535).default(587),
    secure: z.boolean().default(false)
      .describe('true: TLS from the first byte (port 465); false: STARTTLS, which MediaNest then requires'),
    user: z.string().max(320).optional(),
    password: z.string().max(1000).optional().describe('SMTP password; or MEDIANEST_MAIL_PASSWORD'),
    from: z.string().max(320).refine(isMailbox, 'an address like "MediaNest <media@example.com>" or media@example.com')
      .describe('The sender of every mail'),
    ca: z.string().min(1).optional().describe('A PEM file of the private CA that signed the SMTP server\'s certificate (relative to the config file)'),
    perRecipientPerHour: z.int().min(1).max(1000).default(20)
      .describe('Most mails one address gets in an hour, whatever they are; more are dropped and logged'),
    timeout: duration.default('30s').describe('Longest one conversation with the SMTP server'),
  }).optional().describe('Outgoing mail (password reset, verification, notification mail); without it, none is sent'),
  auth: z.strictObject({
    passwordLogin: z.enum(['everyone', 'admins', 'off']).default('everyone')
      .describe('Who may sign in with a password: everyone, only admins (others use a plugin\'s sign-in), or nobody'),
  }).prefault({}),
})

export type Config = z.output<typeof configSchema> & { configFile: string | null; configDir: string }
export type PluginEntry = z.output<typeof pluginEntry>

export class ConfigError extends Error {
  /**
   * `partial`: the same configuration with the broken keys left at their defaults, when
   * the plugins section itself is sound, so `config check` can go on to check the
   * plugins and report every problem in one run. Never for running the server.
   */
  constructor(readonly problems: string[], readonly source: string, readonly partial?: Config) {
    super(`Invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** "plugins.youtube.enabled: expected a boolean, got "yes"" — key, bad value, what is allowed. */
export function describeIssues(issues: z.core.$ZodIssue[], input: unknown, prefix = ''): string[] {
  return issues.map((issue) => {
    const key = prefix + (issue.path.length ? issue.path.join('.') : '(root)')
    const got = valueAt(input, issue.path)
    const shown = got === undefined ? 'nothing' : JSON.stringify(got)
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0]?.message ?? issue.message
      return `${key}: "${String(issue.path.at(-1))}" is not an allowed name: ${inner}`
    }
    if (issue.code === 'unrecognized_keys') {
      return `${key}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
    }
    return `${key}: ${issue.message} (got ${shown})`
  })
}

function valueAt(input: unknown, keyPath: PropertyKey[]): unknown {
  let value: unknown = input
  for (const key of keyPath) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

const ENV_KEYS: Record<string, { key: string; parse?: (v: string) => unknown }> = {
  PORT: { key: 'port', parse: Number },
  HOST: { key: 'host' },
  PUBLIC_URL: { key: 'publicUrl' },
  MEDIANEST_TIME_ZONE: { key: 'timeZone' },
  DATABASE_URL: { key: 'databaseUrl' },
  DATA_DIR: { key: 'dataDir' },
  MEDIANEST_SECRET: { key: 'secret' },
  LOG_LEVEL: { key: 'logLevel' },
  TRUST_PROXY: { key: 'trustProxy', parse: Number },
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv
  /** Explicit file path; otherwise $MEDIANEST_CONFIG, then ./medianest.config.json if present. */
  file?: string
  /** Values applied over everything (tests). */
  overrides?: Record<string, unknown>
  cwd?: string
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const explicit = options.file ?? (env.MEDIANEST_CONFIG || undefined)
  const candidate = path.resolve(cwd, explicit ?? 'medianest.config.json')
  let fileValues: Record<string, unknown> = {}
  let configFile: string | null = null
  if (fs.existsSync(candidate)) {
    configFile = candidate
    fileValues = readJsonFile(candidate)
  } else if (explicit) {
    throw new ConfigError([`the config file ${candidate} does not exist`], 'MEDIANEST_CONFIG')
  }

  const merged: Record<string, unknown> = { ...fileValues }
  const envProblems: string[] = []
  for (const [name, { key, parse }] of Object.entries(ENV_KEYS)) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    const value = parse ? parse(raw) : raw
    if (typeof value === 'number' && !Number.isFinite(value)) {
      envProblems.push(`${name}: expected a number (got ${JSON.stringify(raw)})`)
      continue
    }
    merged[key] = value
  }
  if (env.MEDIANEST_MAIL_PASSWORD && typeof merged.mail === 'object' && merged.mail) {
    merged.mail = { ...merged.mail, password: env.MEDIANEST_MAIL_PASSWORD }
  }
  if (env.MEDIANEST_METRICS_TOKEN) {
    merged.metrics = { ...(typeof merged.metrics === 'object' && merged.metrics ? merged.metrics : {}), token: env.MEDIANEST_METRICS_TOKEN }
  }
  if (env.MEDIANEST_ADMIN_EMAIL || env.MEDIANEST_ADMIN_PASSWORD) {
    merged.bootstrapAdmin = { email: env.MEDIANEST_ADMIN_EMAIL, password: env.MEDIANEST_ADMIN_PASSWORD }
  }
  Object.assign(merged, options.overrides ?? {})
  if (envProblems.length) throw new ConfigError(envProblems, 'environment')

  const result = configSchema.safeParse(merged)
  const configDir = configFile ? path.dirname(configFile) : cwd
  if (!result.success) {
    const partial = withoutBrokenKeys(merged, result.error.issues)
    throw new ConfigError(describeIssues(result.error.issues, merged), configFile ?? 'defaults and environment',
      partial && { ...partial, configFile, configDir })
  }
  return { ...result.data, configFile, configDir }
}

/** The input parsed again without the top-level keys that failed; undefined if the plugins section failed. */
function withoutBrokenKeys(input: Record<string, unknown>, issues: z.core.$ZodIssue[]): z.output<typeof configSchema> | undefined {
  const broken = new Set<PropertyKey>()
  for (const issue of issues) {
    if (issue.path.length) broken.add(issue.path[0])
    else if (issue.code === 'unrecognized_keys') for (const key of issue.keys) broken.add(key)
    else return undefined
  }
  if (broken.has('plugins')) return undefined
  const result = configSchema.safeParse(Object.fromEntries(Object.entries(input).filter(([key]) => !broken.has(key))))
  return result.success ? result.data : undefined
}

function readJsonFile(file: string): Record<string, unknown> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError([`cannot read ${file}: ${(error as Error).message}`], file)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ConfigError([`${file} is not valid JSON: ${(error as Error).message}`], file)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(['the file must hold one JSON object'], file)
  }
  return value as Record<string, unknown>
}

/** The JSON Schema of the config file, for editors (medianest.config.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
}

/** The contract's one parser of durations ('15m' -> 900000), for the config too. */
export { durationMs } from './plugin-api.ts'

/** A Duration as people read it: '30s' as written, 2500 as '2500 ms'. */
export const durationText = (value: string | number): string => (typeof value === 'number' ? `${value} ms` : value)
