import { expect } from 'chai'
import { startTestHost, type TestHost } from '../support/test-host.ts'

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
})
