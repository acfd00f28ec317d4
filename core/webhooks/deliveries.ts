// webhook_deliveries: the dedupe keys of recent deliveries, so a sender's retry of a
// delivery we already handled does not run the handler twice. The unique index makes
// "first one wins" atomic across processes; rows go after the retention period.
import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { clock } from '../clock.ts'

export const DELIVERY_RETENTION_MS = 7 * 24 * 3600_000

export interface DeliveryKey { plugin: string; webhook: string; key: string }

/** Long keys (a whole body, a URL) are stored as their hash: the column is bounded. */
function stored(key: string): string {
  return key.length <= 200 ? key : `sha256:${crypto.createHash('sha256').update(key).digest('hex')}`
}

/** True when this is the first delivery with the key; false for a repeat. */
export async function recordDelivery(db: Knex, d: DeliveryKey): Promise<boolean> {
  const rows = await db('webhook_deliveries')
    .insert({ plugin: d.plugin, webhook: d.webhook, dedupe_key: stored(d.key) })
    .onConflict(['plugin', 'webhook', 'dedupe_key']).ignore()
    .returning('id')
  return rows.length > 0
}

/** A delivery whose handler failed is forgotten, so the sender's retry is handled. */
export async function forgetDelivery(db: Knex, d: DeliveryKey): Promise<void> {
  await db('webhook_deliveries').where({ plugin: d.plugin, webhook: d.webhook, dedupe_key: stored(d.key) }).del()
}

export async function deleteOldDeliveries(db: Knex, olderThanMs = DELIVERY_RETENTION_MS): Promise<number> {
  return db('webhook_deliveries').where('received_at', '<', new Date(clock.now().getTime() - olderThanMs)).del()
}
