// `medianest plugins check <folder>`: what a plugin author runs on a plugin anywhere on
// disk before anyone enables it: the import boundary (the same rule the repository's
// lint applies to first-party plugins) and the conformance suite. Needs the development
// dependencies (ESLint, typescript-eslint, chai), as any test run does.
import fs from 'node:fs'
import path from 'node:path'
import { resolveContractFromAnywhere } from '../plugins/contract-resolution.ts'
import { CliError, UsageError } from './cli-error.ts'
import { resolveFrom, type CliIo } from './io.ts'

export async function pluginCheckCommand(folder: string | undefined, io: CliIo): Promise<number> {
  if (!folder) throw new UsageError('plugins check: name the plugin\'s folder, e.g. medianest plugins check ./my-plugin')
  const dir = resolveFrom(io, folder)
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`plugins check: ${dir} is not a folder`, 1)
  resolveContractFromAnywhere()
  let tools: { lint: typeof lintBoundary; conformance: typeof import('../../test/support/conformance.ts') }
  try {
    tools = { lint: lintBoundary, conformance: await import('../../test/support/conformance.ts') }
  } catch (error) {
    throw new CliError(`plugins check needs MediaNest's development dependencies (npm install): ${(error as Error).message}`, 1)
  }
  io.out(`Checking the plugin in ${dir}`)
  const boundary = await tools.lint(dir)
  io.out(boundary.length ? `Import boundary: ${boundary.length} problem${boundary.length === 1 ? '' : 's'}` : 'Import boundary: ok')
  const conformance = await tools.conformance.checkPluginConformance({ dir, folderMustMatch: false })
  io.out(conformance.length ? `Conformance: ${conformance.length} problem${conformance.length === 1 ? '' : 's'}` : 'Conformance: ok')
  const problems = [...boundary, ...conformance]
  if (problems.length) throw new CliError('the plugin does not conform yet:', 1, problems)
  io.out('The plugin conforms.')
  return 0
}

/** The repository's boundary rule, run on one folder: "file:line: message" per import that crosses it. */
async function lintBoundary(dir: string): Promise<string[]> {
  const { ESLint } = await import('eslint')
  const tseslint = (await import('typescript-eslint')).default
  const { importBoundaryRule } = await import('../../scripts/plugin-import-boundary.js')
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [
      { ignores: ['node_modules/**', 'dist/**', 'build/**'] },
      {
        files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
        languageOptions: { parser: tseslint.parser },
        plugins: { medianest: { rules: { 'import-boundary': importBoundaryRule } } },
        rules: { 'medianest/import-boundary': ['error', { root: dir }] },
      },
    ],
  })
  const results = await eslint.lintFiles(['.'])
  return results.flatMap((r) => r.messages.map((m) => `${path.relative(dir, r.filePath)}:${m.line}: ${m.message}`))
}
