// What other plugins may import from monitor: the names of the events it emits and
// their payloads (the notifications plugin reads them through ctx.events.describe too).
export const MONITOR_EVENTS = { incidentOpened: 'monitor.incident.opened', incidentResolved: 'monitor.incident.resolved' } as const

export interface IncidentOpenedPayload {
  incidentId: string
  serviceName: string
  displayName: string
  type: 'down' | 'degraded'
  severity: 'low' | 'medium' | 'high' | 'critical'
  openedAt: string
}

export interface IncidentResolvedPayload extends Omit<IncidentOpenedPayload, never> {
  by: 'check' | 'admin'
  resolvedAt: string
}
