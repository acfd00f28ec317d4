import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { checkPluginConformance } from '../support/conformance.ts'

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/plugins/${name}`, import.meta.url))

describe('plugin conformance suite: refuses broken plugins with a clear message', function () {
  this.timeout(60_000)

  it('a plugin whose name does not match its folder', async () => {
    const problems = await checkPluginConformance({ dir: fixture('wrong-name') })
    expect(problems.join('\n')).to.include('the plugin is named "not-my-folder" but its folder is "wrong-name"')
  })

  it('a job without a timeout', async () => {
    const problems = await checkPluginConformance({ dir: fixture('job-without-timeout') })
    expect(problems).to.deep.equal(['plugin "job-without-timeout": job "forever" has no timeout'])
  })

  it('a migration that creates a table the plugin does not declare', async () => {
    const problems = await checkPluginConformance({ dir: fixture('undeclared-table') })
    expect(problems).to.deep.equal(['its migrations create tables it does not declare in "tables": sneaky_extra'])
  })

  it('a migration that changes a table the plugin does not own (a core table here)', async () => {
    const problems = await checkPluginConformance({ dir: fixture('alters-core') })
    expect(problems).to.deep.equal(['its migrations change tables it does not own: users (own tables only; ask the owner for what you need)'])
  })

  it('templates with ids outside the namespace, a table made at start(), a health check that calls anything healthy', async () => {
    const problems = await checkPluginConformance({ dir: fixture('bad-ids') })
    expect(problems).to.deep.equal([
      'its templates use DOM ids outside its namespace "bad-ids-": _row.eta: id="row-…"',
      'service type "always-fine": its test() reports ok for a service that cannot be reached (http://127.0.0.1:9/)',
      'start() creates tables outside its migrations: bad_ids_sneaky',
    ])
  })

  it('a page that answers "not set up yet" with an error instead of a page', async () => {
    const problems = await checkPluginConformance({ dir: fixture('unset-upstream') })
    expect(problems.map((p) => p.split(' with nothing set up')[0])).to.deep.equal([
      'GET /unset-upstream answered 503 to a person',
      'GET /unset-upstream answered 503 to an admin',
      'GET /unset-upstream?q=conformance answered 503 to a person',
      'GET /unset-upstream?q=conformance answered 503 to an admin',
      'GET /unset-upstream/find?q=conformance answered 503 to a person',
      'GET /unset-upstream/find?q=conformance answered 503 to an admin',
    ])
    expect(problems[0]).to.include('render the page with what it needs (and, for admins, where to set it up) instead')
  })

  it('passes the plugin that tours every API 1.1 capability', async () => {
    const problems = await checkPluginConformance({ dir: fixture('api-tour') })
    expect(problems).to.deep.equal([])
  })
})
