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
})
