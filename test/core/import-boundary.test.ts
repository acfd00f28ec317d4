import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'
import { ESLint } from 'eslint'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('lint: a plugin imports only core/plugin-api.ts and other plugins\' api.ts', function () {
  this.timeout(60_000)

  async function problems(code: string): Promise<string[]> {
    const eslint = new ESLint({ cwd: root })
    const [result] = await eslint.lintText(code, { filePath: path.join(root, 'plugins/hello/boundary-probe.ts') })
    return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
  }

  it('allows the contract and another plugin\'s api.ts', async () => {
    expect(await problems("import { definePlugin } from '../../core/plugin-api.ts'\nimport type { X } from '../other/api.ts'\nexport const a: X | typeof definePlugin = definePlugin\n")).to.deep.equal([])
  })

  it('refuses core internals and another plugin\'s files', async () => {
    const found = await problems("import { openDatabase } from '../../core/db.ts'\nimport { client } from '../other/other-client.ts'\nexport const a = [openDatabase, client]\n")
    expect(found).to.have.length(2)
    expect(found[0]).to.include('A plugin imports only core/plugin-api.ts from the core.')
    expect(found[1]).to.include("A plugin imports only another plugin's api.ts.")
  })
})
