import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { ESLint } from 'eslint'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('lint: a plugin imports only the published contract, its own files and other plugins\' api', function () {
  this.timeout(60_000)

  async function problems(code: string): Promise<string[]> {
    const eslint = new ESLint({ cwd: root })
    const [result] = await eslint.lintText(code, { filePath: path.join(root, 'plugins/hello/boundary-probe.ts') })
    return result.messages.filter((m) => m.ruleId === 'medianest/import-boundary').map((m) => m.message)
  }

  it('allows the contract by name, its own files, another plugin\'s api, and npm packages', async () => {
    expect(await problems([
      "import { definePlugin } from 'medianest/plugin-api'",
      "import type { X } from '../other/api.ts'",
      "import type { Y } from 'medianest/plugins/other/api'",
      "import { recentGreetings } from './greetings.ts'",
      "import { z } from 'zod'",
      'export const a: X | Y | typeof definePlugin | typeof recentGreetings | typeof z = definePlugin',
    ].join('\n'))).to.deep.equal([])
  })

  it('refuses core internals, by path or by name, and another plugin\'s files', async () => {
    const found = await problems([
      "import { openDatabase } from '../../core/db.ts'",
      "import { definePlugin } from '../../core/plugin-api.ts'",
      "import { client } from '../other/other-client.ts'",
      "import { ViewEngine } from 'medianest/core/views.ts'",
      "export * from 'medianest'",
      "export const later = () => import('../../core/secrets.ts')",
      'export const a = [openDatabase, client, definePlugin, ViewEngine]',
    ].join('\n'))
    expect(found).to.have.length(6)
    expect(found[0]).to.equal("'../../core/db.ts' reaches outside this plugin: import the contract as 'medianest/plugin-api', and another plugin only through its api ('medianest/plugins/<name>/api').")
    expect(found[3]).to.equal("'medianest/core/views.ts' is not part of the plugin contract: import 'medianest/plugin-api' (and 'medianest/testing' in tests).")
  })
})
