// Shared by the overseerr tests: a MediaNest with the plugin on, the loopback fake
// Overseerr configured as the admin would leave it (key and webhook secret sealed), and
// helpers to make people, titles and requests.
import { startTestHost, type TestHost } from '../../support/test-host.ts'
import { startFakeOverseerr, type FakeOverseerr } from '../../support/fake-overseerr.ts'
import { apiKeyAad, fieldAad } from '../../../core/services/configs.ts'
import { resetBreakers } from '../../../core/upstream.ts'
import { waitFor } from '../../support/wait-for.ts'
import type { TestClient } from '../../support/http-client.ts'

export const WEBHOOK_SECRET = 'a-long-webhook-secret-from-the-admin'

export interface Harness {
  host: TestHost
  fake: FakeOverseerr
  admin: { client: TestClient; user: Awaited<ReturnType<TestHost['createUser']>> }
  stop(): Promise<void>
}

export async function startHarness(config: Record<string, unknown> = {}, hostConfig: Record<string, unknown> = {}, plugins: Record<string, unknown> = {}): Promise<Harness> {
  const fake = await startFakeOverseerr()
  const host = await startTestHost({ plugins: { overseerr: { enabled: true, config: { timeoutMs: 2000, ...config } }, ...plugins }, config: hostConfig })
  await configureOverseerr(host, fake.url, fake.apiKey)
  const admin = await host.signedIn(await host.createUser({ role: 'ADMIN', name: 'Admin Ada' }))
  return {
    host, fake, admin,
    async stop() {
      await host.stop()
      await fake.close()
    },
  }
}

/** Stores (or replaces) the overseerr service row: address, key and webhook secret sealed as the admin form seals them. */
export async function configureOverseerr(host: TestHost, url: string, apiKey: string | null, secret: string | null = WEBHOOK_SECRET): Promise<void> {
  resetBreakers()
  const secrets = host.app.core.secrets
  await host.db('service_configs').where({ service_name: 'overseerr' }).del()
  await host.db('service_configs').insert({
    service_name: 'overseerr', service_url: url,
    api_key: apiKey === null ? null : secrets.encrypt(apiKey, apiKeyAad('overseerr')),
    enabled: true, config_data: JSON.stringify({}),
    sealed_fields: JSON.stringify(secret === null ? {} : { webhookSecret: secrets.encrypt(secret, fieldAad('overseerr', 'webhookSecret')) }),
    updated_at: host.db.fn.now(),
  })
  // Written past the plugin: its pages' copy of the service (page-caches.ts) must not outlive it.
  host.app.core.viewerCaches.clear()
}

let nextTmdb = 1000
/** A fresh movie in the fake; returns its TMDB id. */
export function addMovie(fake: FakeOverseerr, title = `Movie ${nextTmdb}`, extra: { availability?: number; year?: number } = {}): number {
  const tmdbId = nextTmdb++
  fake.addTitle({ mediaType: 'movie', tmdbId, title, year: extra.year ?? 2020, availability: extra.availability })
  return tmdbId
}
export function addShow(fake: FakeOverseerr, title = `Show ${nextTmdb}`, seasons = 3): number {
  const tmdbId = nextTmdb++
  fake.addTitle({ mediaType: 'tv', tmdbId, title, year: 2019, seasons: Array.from({ length: seasons }, (_, i) => ({ seasonNumber: i + 1, episodeCount: 8 })) })
  return tmdbId
}

export async function requestRow(host: TestHost, tmdbId: number) {
  return host.db('media_requests').where({ tmdb_id: tmdbId }).orderBy('created_at', 'desc').first()
}

/** Waits until the request reaches `status` (jobs run in the background). */
export async function waitForStatus(host: TestHost, id: string, status: string, timeoutMs = 20_000) {
  await waitFor(`request ${id} to be ${status}`, async () => (await host.db('media_requests').where({ id }).first())?.status === status, timeoutMs)
  return host.db('media_requests').where({ id }).first()
}

export async function timeline(host: TestHost, id: string) {
  return host.db('media_request_timeline').where({ request_id: id }).orderBy('id')
}

/** A form with repeated names (checkboxes): the client hands its argument to URLSearchParams, which takes pairs. */
export const formPairs = (pairs: Array<[string, string]>) => pairs as unknown as Record<string, string>
