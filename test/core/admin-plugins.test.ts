import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import { PluginConfigError } from '../../core/plugin-api.ts'

const TOUR = fileURLToPath(new URL('../fixtures/plugins/api-tour', import.meta.url))
const SIGNING = 'sig-SECRET-in-config-7731'
const TOKEN = 'tok-SECRET-nested-1188'

const section = (html: string, name: string) => new RegExp(`<section class="card" id="admin-plugin-${name}">([\\s\\S]*?)</section>`).exec(html)?.[1] ?? ''

describe('admin: plugins page', function () {
  this.timeout(60_000)
  let host: TestHost
  afterEach(async () => { await host?.stop() })

  it('lists a disabled plugin as found but not enabled, with nothing known about its contributions', async () => {
    host = await startTestHost()
    const { client } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const res = await client.get('/admin/plugins')
    expect(res.status).to.equal(200)
    expect(res.text).to.contain('enable or disable plugins in <code>medianest.config.json</code>')
    const hello = section(res.text, 'hello')
    expect(hello).to.contain('first-party').and.contain('unknown until it is enabled')
    expect(hello).to.match(/Enabled in config<\/th><td>no</)
    expect(hello).to.contain('>disabled</span>')
    expect(res.text).not.to.match(/<form[^>]*action="\/admin\/plugins/)
  })

  it('lists a started plugin with its version, state and everything it contributes', async () => {
    host = await startTestHost({ plugins: { hello: { enabled: true } } })
    const { client } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const hello = section((await client.get('/admin/plugins')).text, 'hello')
    expect(hello).to.contain('1.0.0')
    expect(hello).to.match(/Enabled in config<\/th><td>yes</)
    expect(hello).to.contain('>started</span>')
    expect(hello).to.contain('/hello').and.contain('Hello (/hello)').and.contain('Greetings (greetings)')
      .and.contain('hello.greet (timeout 30s)').and.contain('tidy: every 1h, cluster').and.contain('hello.greeting.sent')
    const index = await client.get('/admin')
    expect(index.text).to.match(/1 running of \d+ found/)
  })

  it('shows a plugin\'s webhooks, event types and health checks, and its settings with secret keys redacted', async () => {
    host = await startTestHost({ plugins: { 'api-tour': { enabled: true, source: TOUR, config: { signingSecret: SIGNING, upstream: { token: TOKEN, region: 'us' } } } } })
    const { client } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const page = (await client.get('/admin/plugins')).text
    const tour = section(page, 'api-tour')
    expect(tour).to.contain('overseerr: POST /api-tour/hooks/overseerr (shared-secret)')
      .and.contain('signed: POST /api-tour/hooks/signed/v1 (hmac-sha256)')
      .and.contain('api-tour.thing.happened (audience: subject)').and.contain('api-tour.thing.broke (audience: admins)')
      .and.match(/Health checks<\/th><td>api-tour-svc; api-tour-hooks</)
    expect(tour).to.contain('&quot;signingSecret&quot;:&quot;••••••&quot;').and.contain('&quot;region&quot;:&quot;us&quot;')
    expect(page).to.not.contain(SIGNING).and.not.contain(TOKEN)
    // The plugin itself still gets the real value.
    const echoed = await client.get('/api-tour/config-echo', { headers: { Accept: 'application/json' } })
    expect(JSON.parse(echoed.text)).to.deep.equal({ signingSecret: SIGNING })
  })

  it('names a refused secret setting at boot without echoing its value', async () => {
    let refused: unknown
    host = undefined as unknown as TestHost
    try {
      host = await startTestHost({ plugins: { 'api-tour': { enabled: true, source: TOUR, config: { signingSecret: ['not', 'a', 'string', SIGNING] } } } })
    } catch (error) {
      refused = error
    }
    expect(refused).to.be.instanceOf(PluginConfigError)
    const problems = (refused as PluginConfigError).problems.join('\n')
    expect(problems).to.contain('plugins.api-tour.config.signingSecret').and.contain('(got "••••••")')
    expect(problems).to.not.contain(SIGNING)
  })
})
