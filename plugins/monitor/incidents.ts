// service_incidents: opened after N consecutive bad checks, resolved by the first good
// one (or by an admin). The events are emitted in the transaction that opens or resolves
// the row, so a notification exists exactly when the incident does. A partial unique
// index allows one open incident per service, so flapping cannot pile them up.
import type { Events, Knex } from 'medianest/plugin-api'
import type { Severity } from './plugin-config.ts'

export const INCIDENT_OPENED = 'monitor.incident.opened'
export const INCIDENT_RESOLVED = 'monitor.incident.resolved'

export interface IncidentRow {
  id: string
  service_name: string
  incident_type: 'down' | 'degraded'
  description: string
  severity: Severity
  status: 'open' | 'resolved'
  created_at: Date
  resolved_at: Date | null
  metadata: Record<string, unknown> | null
  note: string | null
}

export interface IncidentFacts { serviceName: string; displayName: string }

export async function openIncident(
  trx: Knex.Transaction, events: Events,
  facts: IncidentFacts & { type: 'down' | 'degraded'; severity: Severity; reason: string; failures: number }, now: Date,
): Promise<IncidentRow> {
  const description = facts.type === 'down'
    ? `${facts.displayName} failed ${facts.failures} checks in a row: ${facts.reason}`
    : `${facts.displayName} answered slowly ${facts.failures} checks in a row: ${facts.reason}`
  const [row] = await trx<IncidentRow>('service_incidents').insert({
    service_name: facts.serviceName, incident_type: facts.type, description: description.slice(0, 2000),
    severity: facts.severity, status: 'open', created_at: now, metadata: JSON.stringify({ failures: facts.failures }) as never,
  }).returning('*')
  await events.emit(INCIDENT_OPENED, {
    incidentId: row.id, serviceName: facts.serviceName, displayName: facts.displayName,
    type: facts.type, severity: facts.severity, openedAt: now.toISOString(),
  }, { trx })
  return row
}

export async function resolveIncident(
  trx: Knex.Transaction, events: Events, incident: IncidentRow, facts: IncidentFacts & { by: 'check' | 'admin' }, now: Date,
): Promise<void> {
  await trx('service_incidents').where({ id: incident.id, status: 'open' }).update({ status: 'resolved', resolved_at: now })
  await events.emit(INCIDENT_RESOLVED, {
    incidentId: incident.id, serviceName: facts.serviceName, displayName: facts.displayName,
    type: incident.incident_type, severity: incident.severity, by: facts.by,
    openedAt: new Date(incident.created_at).toISOString(), resolvedAt: now.toISOString(),
  }, { trx })
}

export async function openIncidentOf(db: Knex, service: string): Promise<IncidentRow | undefined> {
  return db<IncidentRow>('service_incidents').where({ service_name: service, status: 'open' }).first()
}

export async function incidentsOf(db: Knex, service: string, limit = 50): Promise<IncidentRow[]> {
  return db<IncidentRow>('service_incidents').where({ service_name: service }).orderBy('created_at', 'desc').limit(limit)
}

export async function findIncident(db: Knex, id: string): Promise<IncidentRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined
  return db<IncidentRow>('service_incidents').where({ id }).first()
}

export async function setNote(db: Knex, id: string, note: string): Promise<boolean> {
  return (await db('service_incidents').where({ id }).update({ note: note || null })) > 0
}

/** `write` writes a date for whoever reads the description: in the site's zone, named (ctx.http.formatDate(null, …)). */
export const incidentEventTypes = (write: (date: Date, style: 'date') => string) => [
  {
    event: 'monitor.certificate.expiring', title: 'A certificate expires soon', audience: 'admins' as const,
    describe: (p: { displayName?: unknown; serviceName?: unknown; daysLeft?: unknown; expiresAt?: unknown; issuer?: unknown }) => ({
      title: `The certificate of ${String(p.displayName ?? p.serviceName)} expires in ${String(p.daysLeft)} ${p.daysLeft === 1 ? 'day' : 'days'}`,
      message: `Its TLS certificate (from ${String(p.issuer ?? 'an unknown issuer')}) expires on ${Number.isNaN(Date.parse(String(p.expiresAt))) ? 'a date it does not say' : write(new Date(String(p.expiresAt)), 'date')}. Renew it before then, or the service shows as down.`,
      link: `/monitor/services/${encodeURIComponent(String(p.serviceName))}`,
    }),
  },
  {
    event: INCIDENT_OPENED, title: 'Service incident opened', audience: 'admins' as const,
    describe: (p: { displayName?: unknown; serviceName?: unknown; type?: unknown; severity?: unknown }) => ({
      title: `${String(p.displayName ?? p.serviceName)} is ${p.type === 'degraded' ? 'slow' : 'down'}`,
      message: `${String(p.displayName ?? p.serviceName)} is ${p.type === 'degraded' ? 'answering slowly' : 'not answering'} (severity ${String(p.severity ?? 'medium')}).`,
      link: `/monitor/services/${encodeURIComponent(String(p.serviceName))}`,
      // Outbound channels may take only the graver ones (API 1.11).
      severity: (['low', 'medium', 'high', 'critical'] as const).find((s) => s === p.severity) ?? 'medium',
    }),
  },
  {
    event: INCIDENT_RESOLVED, title: 'Service incident resolved', audience: 'admins' as const,
    describe: (p: { displayName?: unknown; serviceName?: unknown; by?: unknown }) => ({
      title: `${String(p.displayName ?? p.serviceName)} is back`,
      message: p.by === 'admin'
        ? `An admin marked the incident on ${String(p.displayName ?? p.serviceName)} resolved.`
        : `${String(p.displayName ?? p.serviceName)} answers normally again.`,
      link: `/monitor/services/${encodeURIComponent(String(p.serviceName))}`,
    }),
  },
]
