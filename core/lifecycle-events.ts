// The core's lifecycle facts, emitted where they happen and inside the same transaction,
// so a fact is announced if and only if it committed. Their words (describe) live with
// the other event types in event-types.ts; their payloads are documented in docs/plugins.md.
import type { Knex } from 'knex'
import type { Role } from './plugin-api.ts'

export type Emit = (event: string, payload: Record<string, unknown>, options?: { trx?: Knex.Transaction }) => Promise<void>

interface UserFact { id: string; email: string; role: Role; status: string }

export function userCreated(emit: Emit, trx: Knex.Transaction, user: UserFact, via: string, by: string | null): Promise<void> {
  return emit('core.user.created', { userId: user.id, email: user.email, role: user.role, via, by }, { trx })
}

export function userUpdated(emit: Emit, trx: Knex.Transaction, user: UserFact, changes: Array<'role' | 'status'>, by: string | null): Promise<void> {
  return emit('core.user.updated', { userId: user.id, email: user.email, role: user.role, status: user.status, changes, by }, { trx })
}

export function userDeleted(emit: Emit, trx: Knex.Transaction, user: Pick<UserFact, 'id' | 'email'>, by: string | null): Promise<void> {
  return emit('core.user.deleted', { userId: user.id, email: user.email, by }, { trx })
}

export function serviceUpdated(
  emit: Emit, trx: Knex.Transaction,
  service: { id: number; name: string }, action: 'created' | 'updated' | 'deleted', changedFields: string[], by: string | null,
): Promise<void> {
  return emit('core.service.updated', { serviceId: service.id, serviceName: service.name, action, changedFields, by }, { trx })
}
