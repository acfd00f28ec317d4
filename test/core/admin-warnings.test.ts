// Plugin API 1.9 `warnings`: what an admin should act on shows on /admin and in /readyz's
// details for an admin's session or API token; a check that throws or hangs is reported as
// such without holding the page; a person and a load balancer get only "ready".
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { validateContributions } from '../../core/plugins/validate.ts'
import { createApiToken } from '../../core/auth/api-tokens.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'

const fixture = fileURLToPath(new URL('../fixtures/plugins/admin-warnings', import.meta.url))

describe('plugin warnings for admins (1.9)', function () {
  this.timeout(60_000)
  let host: TestHost
  before(async () => { host = await startTestHost({ plugins: { 'admin-warnings': { enabled: true, source: fixture } } }) })
  after(async () => { await host?.stop() })

  it('lists each warning that applies on /admin, escaped, with a throwing and a hanging check named', async () => {
    const admin = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const page = await admin.client.get('/admin')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('Needs your attention')
      .and.include('<strong>admin-warnings:</strong> The &lt;tool&gt; is 400 days old: install a current one.')
      .and.include('The &quot;broken&quot; check failed: cannot read the version')
      .and.include('The &quot;hangs&quot; check did not answer within a second.')
      .and.not.include('all-well')
  })

  it('adds them to /readyz for an admin (session or API token), never for anyone else, and stays ready', async () => {
    const admin = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const body = JSON.parse((await admin.client.get('/readyz')).text)
    expect(body.status).to.equal('ready')
    expect(body.migrations).to.equal('done')
    expect(body.warnings.map((w: { id: string }) => w.id).sort()).to.deep.equal(['broken', 'hangs', 'old-tool'])
    const { token } = await createApiToken(host.db, admin.user.id, 'monitoring', 3_600_000)
    const byToken = await fetch(`${host.url}/readyz`, { headers: { Authorization: `Bearer ${token}` } })
    expect(byToken.status).to.equal(200)
    expect(((await byToken.json()) as { warnings: unknown[] }).warnings).to.have.length(3)

    const person = await host.signedIn()
    expect(JSON.parse((await person.client.get('/readyz')).text)).to.deep.equal({ status: 'ready' })
    expect(await (await fetch(`${host.url}/readyz`)).json()).to.deep.equal({ status: 'ready' })
    // A token that is not valid is told so, like on every other route, and learns nothing.
    const forged = await fetch(`${host.url}/readyz`, { headers: { Authorization: 'Bearer mn_not-a-token' } })
    expect(forged.status).to.equal(401)
    expect(await forged.text()).to.not.include('warnings')
  })

  it('refuses a warning without a check, with a bad id, or twice the same id', () => {
    expect(validateContributions('p', { warnings: [{ id: 'a' } as never] }).join('\n')).to.include('warning "a" has no check function')
    expect(validateContributions('p', { warnings: [{ id: 'Bad Id', check: () => null }] }).join('\n')).to.include('warning id "Bad Id"')
    expect(validateContributions('p', { warnings: [{ id: 'a', check: () => null }, { id: 'a', check: () => null }] }).join('\n')).to.match(/warnings.*"a"|duplicate.*a/i)
  })
})
