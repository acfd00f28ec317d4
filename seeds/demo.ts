// Demo data for a first look: `npx medianest seed demo` (core/cli/seed.ts) fills a
// fresh install with an admin, a few people, their sessions on several devices, the
// upstream services and some error-log entries, so the dashboard and the admin pages
// have something to show. Rows go in through the code the portal writes them with
// (sessions, service keys sealed with the core secrets), and every demo row is found
// again by its email, service name or demo mark, so a second run adds nothing twice.
import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { createServiceConfig } from '../core/services/store.ts'
import { hashPassword } from '../core/auth/passwords.ts'
import { createSession, type SessionPolicy } from '../core/auth/sessions.ts'
import { findUserByEmail, type UserRow } from '../core/auth/users.ts'
import { clock } from '../core/clock.ts'
import { durationMs, loadConfig } from '../core/config.ts'
import { toCount } from '../core/db.ts'
import type { Secrets, SeedUser } from '../core/plugin-api.ts'
import { createSecrets, loadKeyRing } from '../core/secrets.ts'

/** `.example` is reserved (RFC 2606): these addresses can never reach a real mailbox. */
export const DEMO_DOMAIN = 'medianest.example'
export const DEMO_ADMIN = { email: `admin@${DEMO_DOMAIN}`, name: 'Sam Rivera' }

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const DEVICES = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  edgeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  safariIpad: 'Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  chromeAndroid: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
}

/** Where and when someone was signed in; addresses are the home LAN or documentation ranges. */
interface DemoSession { device: keyof typeof DEVICES; ip: string; lastUsedAgo: number; createdAgo: number }

interface DemoPerson {
  email: string
  name: string
  joinedAgo: number
  status?: 'active' | 'suspended'
  requiresPasswordChange?: boolean
  sessions: DemoSession[]
}

const ADMIN_SESSIONS: DemoSession[] = [
  { device: 'chromeWindows', ip: '192.168.1.23', lastUsedAgo: 4 * MINUTE, createdAgo: 6 * DAY },
  { device: 'safariIphone', ip: '203.0.113.47', lastUsedAgo: 3 * HOUR, createdAgo: 12 * DAY },
  { device: 'firefoxLinux', ip: '192.168.1.10', lastUsedAgo: 2 * DAY, createdAgo: 9 * DAY },
]

const PEOPLE: DemoPerson[] = [
  {
    email: `maya.chen@${DEMO_DOMAIN}`, name: 'Maya Chen', joinedAgo: 41 * DAY,
    sessions: [
      { device: 'safariMac', ip: '192.168.1.31', lastUsedAgo: 18 * MINUTE, createdAgo: 4 * DAY },
      { device: 'safariIphone', ip: '198.51.100.12', lastUsedAgo: 1 * DAY, createdAgo: 15 * DAY },
    ],
  },
  {
    email: `jonas.weber@${DEMO_DOMAIN}`, name: 'Jonas Weber', joinedAgo: 35 * DAY,
    sessions: [{ device: 'chromeAndroid', ip: '203.0.113.88', lastUsedAgo: 4 * HOUR, createdAgo: 8 * DAY }],
  },
  {
    email: `priya.natarajan@${DEMO_DOMAIN}`, name: 'Priya Natarajan', joinedAgo: 28 * DAY, requiresPasswordChange: true,
    sessions: [
      { device: 'edgeWindows', ip: '198.51.100.140', lastUsedAgo: 26 * HOUR, createdAgo: 3 * DAY },
      { device: 'safariIpad', ip: '192.168.1.44', lastUsedAgo: 3 * DAY, createdAgo: 20 * DAY },
    ],
  },
  {
    email: `leo.martins@${DEMO_DOMAIN}`, name: 'Leo Martins', joinedAgo: 19 * DAY,
    sessions: [{ device: 'firefoxLinux', ip: '203.0.113.9', lastUsedAgo: 6 * HOUR, createdAgo: 2 * DAY }],
  },
  // Suspended: the admin pages show one, and a suspended person has no live session.
  { email: `ana.sousa@${DEMO_DOMAIN}`, name: 'Ana Sousa', joinedAgo: 12 * DAY, status: 'suspended', sessions: [] },
]

const SERVICES = [
  { serviceName: 'plex', serviceUrl: 'http://192.168.1.20:32400', enabled: true, configData: {} },
  { serviceName: 'overseerr', serviceUrl: 'http://192.168.1.20:5055', enabled: true, configData: {} },
  { serviceName: 'radarr', serviceUrl: 'http://192.168.1.21:7878', enabled: true, configData: {} },
  { serviceName: 'tautulli', serviceUrl: 'http://192.168.1.20:8181', enabled: false, configData: {} },
]

interface DemoError {
  ago: number
  /** Whose request it was: an email above, 'admin', or null (signed out). */
  who: string | null
  code: string
  status: number
  method: string
  path: string
  message: string
  stack?: string
  meta?: Record<string, unknown>
}

const ERRORS: DemoError[] = [
  {
    ago: 47 * MINUTE, who: `maya.chen@${DEMO_DOMAIN}`, code: 'UpstreamError', status: 502, method: 'GET', path: '/overseerr/requests',
    message: 'Overseerr: did not answer within 10 s (http://192.168.1.20:5055/api/v1/request?take=20)',
    meta: { service: 'Overseerr', upstreamUrl: 'http://192.168.1.20:5055/api/v1/request?take=20', why: 'did not answer within 10 s', htmx: true },
  },
  {
    ago: 5 * HOUR, who: `jonas.weber@${DEMO_DOMAIN}`, code: 'TypeError', status: 500, method: 'POST', path: '/youtube',
    message: "Cannot read properties of undefined (reading 'entries')",
    stack: "TypeError: Cannot read properties of undefined (reading 'entries')\n    at parsePlaylist (plugins/youtube/yt-dlp.ts:88:31)\n    at async Router.<anonymous> (plugins/youtube/routes.ts:41:19)",
  },
  {
    ago: 20 * HOUR, who: 'admin', code: 'BadInput', status: 422, method: 'POST', path: '/admin/services',
    message: 'Check the highlighted fields.', meta: { fields: ['service_url'] },
  },
  {
    ago: 26 * HOUR, who: `leo.martins@${DEMO_DOMAIN}`, code: 'Forbidden', status: 403, method: 'GET', path: '/admin/users',
    message: 'You do not have permission to do that.',
  },
  {
    ago: 2 * DAY, who: `priya.natarajan@${DEMO_DOMAIN}`, code: 'Conflict', status: 409, method: 'POST', path: '/overseerr/requests',
    message: 'Dune: Part Two is already requested.',
  },
  {
    ago: 2 * DAY + 3 * HOUR, who: null, code: 'Unauthorized', status: 401, method: 'GET', path: '/account/sessions',
    message: 'Please sign in to continue.',
  },
  {
    ago: 3 * DAY, who: 'admin', code: 'UpstreamError', status: 502, method: 'POST', path: '/admin/services/2/test',
    message: 'Plex: refused the connection (is it running, and is the address right?) (http://192.168.1.20:32400/identity)',
    meta: { service: 'Plex', upstreamUrl: 'http://192.168.1.20:32400/identity', why: 'refused the connection (is it running, and is the address right?)' },
  },
  {
    ago: 4 * DAY, who: null, code: 'Error', status: 500, method: 'GET', path: '/',
    message: 'Connection terminated unexpectedly',
    stack: 'Error: Connection terminated unexpectedly\n    at Connection.<anonymous> (node_modules/pg/lib/client.js:132:73)',
  },
]

export interface DemoOptions {
  secrets: Secrets
  sessionPolicy: SessionPolicy
  admin: { email: string; name: string | null; passwordHash: string }
}

export interface DemoReport {
  /** The demo admin first, then the demo users, created now or found from an earlier run. */
  users: SeedUser[]
  added: { users: number; sessions: number; services: number; errorLogs: number }
  /** What was already there and left alone. */
  kept: { users: string[]; services: string[]; errorLogs: boolean }
}

/** Adds what is missing of the core's demo; deletes and changes nothing that exists. */
export async function seedDemo(db: Knex, options: DemoOptions): Promise<DemoReport> {
  const now = clock.now().getTime()
  const added = { users: 0, sessions: 0, services: 0, errorLogs: 0 }
  const kept: DemoReport['kept'] = { users: [], services: [], errorLogs: false }
  const users: SeedUser[] = []

  const people: Array<DemoPerson & { role: 'ADMIN' | 'USER'; passwordHash: string | null }> = [
    { email: options.admin.email, name: options.admin.name ?? '', joinedAgo: 60 * DAY, sessions: ADMIN_SESSIONS, role: 'ADMIN', passwordHash: options.admin.passwordHash },
    ...PEOPLE.map((p) => ({ ...p, role: 'USER' as const, passwordHash: null })),
  ]
  for (const person of people) {
    const existing = await findUserByEmail(db, person.email)
    if (existing) {
      kept.users.push(existing.email)
      users.push({ id: existing.id, email: existing.email, name: existing.name, role: existing.role, created: false })
      continue
    }
    const sessions = person.sessions.map((s) => fitToPolicy(s, options.sessionPolicy))
    const lastLogin = sessions.length ? Math.min(...sessions.map((s) => s.createdAgo)) : null
    const [row] = await db<UserRow>('users').insert({
      email: person.email,
      name: person.name || null,
      role: person.role,
      status: person.status ?? 'active',
      password_hash: person.passwordHash,
      requires_password_change: person.requiresPasswordChange ?? false,
      created_at: new Date(now - person.joinedAgo),
      last_login_at: lastLogin === null ? null : new Date(now - lastLogin),
    }).returning('*')
    added.users++
    users.push({ id: row.id, email: row.email, name: row.name, role: row.role, created: true })
    for (const s of sessions) {
      // The token is made and thrown away: nobody can use a demo session, they are there to be seen.
      const { session } = await createSession(db, row.id, options.sessionPolicy, { userAgent: DEVICES[s.device], ip: s.ip })
      const created = now - s.createdAgo
      const lastUsed = now - s.lastUsedAgo
      await db('sessions').where({ id: session.id }).update({
        created_at: new Date(created),
        last_used_at: new Date(lastUsed),
        expires: new Date(Math.min(lastUsed + options.sessionPolicy.idleMs, created + options.sessionPolicy.absoluteMs)),
        absolute_expires: new Date(created + options.sessionPolicy.absoluteMs),
      })
      added.sessions++
    }
  }

  const admin = users[0]
  for (const service of SERVICES) {
    if (await db('service_configs').where({ service_name: service.serviceName }).first('id')) {
      kept.services.push(service.serviceName)
      continue
    }
    // Made-up keys, sealed exactly as the admin form seals a real one.
    // No plugin runs during a seed, so nothing listens for core.service.updated, and the
    // kind is left to be read from the name (serviceType null), as for rows made before kinds.
    await createServiceConfig(db, options.secrets, async () => {}, { ...service, serviceType: null, apiKey: { set: crypto.randomBytes(16).toString('hex') } }, admin.id)
    added.services++
  }

  const marked = await db('error_logs').whereRaw(`metadata->>'demo' = 'true'`).first(db.raw('count(*)::int as n'))
  if (toCount((marked as { n: unknown } | undefined)?.n)) {
    kept.errorLogs = true
  } else {
    const idOf = (who: DemoError['who']) => who === null ? null : who === 'admin' ? admin.id : users.find((u) => u.email === who)?.id ?? null
    await db('error_logs').insert(ERRORS.map((e) => ({
      correlation_id: crypto.randomUUID(),
      user_id: idOf(e.who),
      error_code: e.code,
      error_message: e.message,
      stack_trace: e.stack ?? null,
      request_path: e.path,
      request_method: e.method,
      status_code: e.status,
      metadata: JSON.stringify({ userAgent: DEVICES.chromeWindows, ...e.meta, demo: true }),
      created_at: new Date(now - e.ago),
    })))
    added.errorLogs = ERRORS.length
  }
  return { users, added, kept }
}

/** Shorter session lifetimes in the config: keep every demo session alive, in the same order. */
function fitToPolicy(s: DemoSession, policy: SessionPolicy): DemoSession {
  const lastUsedAgo = Math.min(s.lastUsedAgo, policy.idleMs / 2)
  const createdAgo = Math.max(lastUsedAgo, Math.min(s.createdAgo, policy.absoluteMs / 2))
  return { ...s, lastUsedAgo, createdAgo }
}

const PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'

/** Five groups of five from 31 unambiguous characters: about 124 bits, easy to type once. */
export function demoPassword(): string {
  const groups = Array.from({ length: 5 }, () =>
    Array.from({ length: 5 }, () => PASSWORD_ALPHABET[crypto.randomInt(PASSWORD_ALPHABET.length)]).join(''))
  return groups.join('-')
}

/**
 * For knex's own CLI (`knex seed:run`, see knexfile.ts): the core's demo on an empty
 * database, without plugin seeds. `npx medianest seed demo` is the full command.
 */
export async function seed(knex: Knex): Promise<void> {
  const config = loadConfig()
  const users = await knex('users').first(knex.raw('count(*)::int as n'))
  if (toCount((users as { n: unknown } | undefined)?.n)) {
    throw new Error('the database already has users; the demo is for a fresh install (see "npx medianest seed demo --force")')
  }
  const password = demoPassword()
  await seedDemo(knex, {
    secrets: createSecrets(loadKeyRing({ secret: config.secret, dataDir: config.dataDir })),
    sessionPolicy: { idleMs: durationMs(config.sessions.idle), absoluteMs: durationMs(config.sessions.absolute) },
    admin: { ...DEMO_ADMIN, passwordHash: await hashPassword(password) },
  })
  console.log(`Demo admin: ${DEMO_ADMIN.email}, password ${password} (shown once)`)
}
