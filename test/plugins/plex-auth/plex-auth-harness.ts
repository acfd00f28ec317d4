// One MediaNest with plex-auth enabled against a loopback plex.tv and Plex server, and
// the moves of a person signing in: press the button, approve at "Plex", come back.
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../../support/test-host.ts'
import { startFakePlexTv, type FakePlexTv, type FakePlexUser } from '../../support/fake-plex-tv.ts'
import { startFakePms, type FakePms } from '../../support/fake-pms.ts'
import type { TestClient, ClientResponse } from '../../support/http-client.ts'
import { resetBreakers } from '../../../core/upstream.ts'

export const PLUGIN_DIR = fileURLToPath(new URL('../../../plugins/plex-auth', import.meta.url))

export interface Harness {
  host: TestHost
  plexTv: FakePlexTv
  pms: FakePms
  owner: FakePlexUser
  /** The address the browser is sent to for approval (the fake's base URL + /auth). */
  authUrl: string
  stop(): Promise<void>
}

export async function startHarness(options: { configureServer?: boolean; config?: Record<string, unknown>; hostConfig?: Record<string, unknown> } = {}): Promise<Harness> {
  const plexTv = await startFakePlexTv()
  const pms = await startFakePms()
  const owner = plexTv.addUser({ username: 'Owner', email: 'owner@example.com' })
  plexTv.addServer({
    clientIdentifier: pms.machineIdentifier, ownerId: owner.id, name: 'Home Server',
    connections: [{ uri: 'http://127.0.0.1:1', local: false }, { uri: pms.url, local: true }],
  })
  const authUrl = `${plexTv.url}/auth`
  const host = await startTestHost({
    plugins: { 'plex-auth': { enabled: true, source: PLUGIN_DIR, config: { plexTvUrl: plexTv.url, plexAuthUrl: authUrl, timeoutMs: 2000, ...options.config } } },
    config: options.hostConfig,
  })
  if (options.configureServer !== false) await configurePlexService(host, pms.url)
  return {
    host, plexTv, pms, owner, authUrl,
    async stop() {
      await host.stop()
      await plexTv.close()
      await pms.close()
      resetBreakers()
    },
  }
}

export async function configurePlexService(host: TestHost, url: string): Promise<void> {
  await host.db('service_configs').insert({ service_name: 'plex', service_url: url, enabled: true })
}

/** Presses "Sign in with Plex": returns the PIN's code from the address Plex would open. */
export async function pressSignIn(h: Harness, client: TestClient, next?: string): Promise<{ res: ClientResponse; code: string }> {
  await client.get('/login')
  const res = await client.get(`/plex-auth/start${next ? `?next=${encodeURIComponent(next)}` : ''}`)
  expect(res.status, res.text.slice(0, 300)).to.equal(303)
  expect(res.location!.startsWith(`${h.authUrl}#?`)).to.equal(true)
  const fragment = new URLSearchParams(res.location!.slice(res.location!.indexOf('#?') + 2))
  return { res, code: fragment.get('code')! }
}

/** The whole flow for one Plex user: press, approve at Plex, come back to the callback. */
export async function signInWithPlex(h: Harness, user: FakePlexUser, next?: string): Promise<{ client: TestClient; res: ClientResponse }> {
  const client = h.host.client()
  const { code } = await pressSignIn(h, client, next)
  h.plexTv.approvePin(code, user.id)
  const res = await client.get('/plex-auth/callback')
  return { client, res }
}

export const count = async (host: TestHost, table: string, where: Record<string, unknown> = {}) =>
  Number((await host.db(table).where(where).count('* as n').first())!.n)

/**
 * A refusal: the browser is sent back to /login, which shows the reason once (and not
 * again on reload). Returns the reason as the page shows it.
 */
export async function refusalOnLogin(client: TestClient, res: ClientResponse): Promise<string> {
  expect(res.status, res.text.slice(0, 300)).to.equal(303)
  expect(res.location).to.match(/^\/login(\?next=[^&]+)?$/)
  const page = await client.get(res.location!)
  expect(page.status).to.equal(200)
  const shown = /<div class="alert alert-error" id="login-refusal"[^>]*><p>([^<]*)<\/p>/.exec(page.text)
  expect(shown, 'the sign-in page shows why').to.not.equal(null)
  expect((await client.get('/login')).text, 'shown once').to.not.include('id="login-refusal"')
  return shown![1]
}
