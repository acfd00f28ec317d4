// A host with notifications and the notify-fixture community plugin (event types shaped
// like the first-party emitters'), and helpers to emit a fact and wait for its rows.
import { fileURLToPath } from 'node:url'
import { startTestHost, waitFor, type TestHost, type TestClient } from 'medianest/testing'

export const FIXTURE = fileURLToPath(new URL('../../fixtures/plugins/notify-fixture', import.meta.url))

export async function notificationsHost(config: Record<string, unknown> = {}, extra: Parameters<typeof startTestHost>[0] = {}): Promise<TestHost> {
  return startTestHost({
    ...extra,
    plugins: {
      notifications: { enabled: true, config },
      'notify-fixture': { enabled: true, source: FIXTURE },
    },
  })
}

export async function emit(client: TestClient, event: string, payload: Record<string, unknown>): Promise<void> {
  const res = await client.post('/notify-fixture/emit', { event, payload: JSON.stringify(payload) })
  if (res.status !== 202) throw new Error(`emit ${event} answered ${res.status}: ${res.text.slice(0, 300)}`)
}

/** Waits until the core has delivered every event (no queued or running delivery job left). */
export async function settled(host: TestHost, timeoutMs = 15_000): Promise<void> {
  await waitFor('event deliveries and notification jobs to finish', async () => {
    const row = await host.db('jobs').whereIn('status', ['queued', 'running']).where('run_at', '<=', host.db.fn.now())
      .select(host.db.raw('count(*)::int as n')).first() as { n: number }
    return Number(row.n) === 0
  }, timeoutMs)
}

export async function rowsOf(host: TestHost, type: string) {
  return host.db('notifications').where({ type }).orderBy('created_at')
}
