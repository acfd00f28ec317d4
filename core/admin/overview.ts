// The numbers on /admin: how many users, services, recent errors and running plugins.
import type { Knex } from 'knex'
import type { PluginHost } from '../plugins/host.ts'

export interface AdminOverview {
  users: { total: number; activeAdmins: number; suspended: number }
  services: { total: number; enabled: number }
  errors: { lastDay: number }
  plugins: { started: number; discovered: number; failed: number }
  /** The running plugins' warnings that apply now (1.9). */
  warnings: Array<{ plugin: string; id: string; message: string }>
}

export async function adminOverview(db: Knex, host: PluginHost): Promise<AdminOverview> {
  const users = await db('users').first(
    db.raw('count(*)::int as total'),
    db.raw("(count(*) filter (where role = 'ADMIN' and status = 'active'))::int as active_admins"),
    db.raw("(count(*) filter (where status = 'suspended'))::int as suspended"),
  )
  const services = await db('service_configs').first(
    db.raw('count(*)::int as total'),
    db.raw('(count(*) filter (where enabled))::int as enabled'),
  )
  const errors = await db('error_logs').where('created_at', '>', db.raw("now() - interval '24 hours'")).first(db.raw('count(*)::int as last_day'))
  return {
    users: { total: users.total, activeAdmins: users.active_admins, suspended: users.suspended },
    services: { total: services.total, enabled: services.enabled },
    errors: { lastDay: errors.last_day },
    plugins: {
      started: host.plugins.filter((p) => p.state === 'started').length,
      discovered: host.discovered.length,
      failed: host.plugins.filter((p) => p.failure).length,
    },
    warnings: await host.warnings(),
  }
}
