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
  /** Outgoing mail over the last day, and the latest failures in the SMTP server's words. */
  mail: { configured: boolean; sent: number; queued: number; failed: number; failures: Array<{ recipient: string; subject: string; last_error: string | null }> }
}

export async function adminOverview(db: Knex, host: PluginHost, mailConfigured: boolean): Promise<AdminOverview> {
  const users = await db('users').first(
    db.raw('count(*)::int as total'),
    db.raw("(count(*) filter (where role = 'ADMIN' and status = 'active'))::int as active_admins"),
    db.raw("(count(*) filter (where status = 'suspended'))::int as suspended"),
  )
  const services = await db('service_configs').first(
    db.raw('count(*)::int as total'),
    db.raw('(count(*) filter (where enabled))::int as enabled'),
  )
  const dayAgo = db.raw("now() - interval '24 hours'")
  const mail = await db('mail_outbox').where('created_at', '>', dayAgo).first(
    db.raw("(count(*) filter (where status = 'sent'))::int as sent"),
    db.raw("(count(*) filter (where status = 'queued'))::int as queued"),
    db.raw("(count(*) filter (where status = 'failed'))::int as failed"),
  )
  const failures = mail.failed || mail.queued
    ? await db('mail_outbox').where('created_at', '>', dayAgo).whereNotNull('last_error').orderBy('created_at', 'desc').limit(3).select('recipient', 'subject', 'last_error')
    : []
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
    mail: { configured: mailConfigured, sent: mail.sent, queued: mail.queued, failed: mail.failed, failures },
  }
}
