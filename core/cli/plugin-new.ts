// `medianest plugins new <name> [--dir <folder>]`: a plugin folder that passes
// `plugins check` and its own tests on its first run (./plugin-scaffold.ts holds the files).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FIRST_PARTY_DIR } from '../plugins/discover.ts'
import { CliError, UsageError } from './cli-error.ts'
import { resolveFrom, type CliIo } from './io.ts'
import { scaffoldFiles } from './plugin-scaffold.ts'

/** The MediaNest this command runs from: the sources, or the folder build/ was compiled in. */
const ROOT = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../../' : '../../', import.meta.url))
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/

export async function pluginNewCommand(name: string | undefined, parentOption: string | undefined, io: CliIo): Promise<number> {
  if (!name) throw new UsageError('plugins new: name the plugin, e.g. medianest plugins new sonarr-calendar')
  if (!NAME.test(name) || name.length > 40) {
    throw new UsageError(`plugins new: "${name.slice(0, 60)}" is not a plugin name: lower-case letters and digits, words joined by single dashes, at most 40 characters (e.g. sonarr-calendar)`)
  }
  if (fs.existsSync(path.join(FIRST_PARTY_DIR, name))) throw new UsageError(`plugins new: "${name}" is a first-party plugin's name; choose another`)
  const dir = path.join(resolveFrom(io, parentOption ?? '.'), name)
  if (fs.existsSync(dir) && fs.readdirSync(dir).length) throw new CliError(`plugins new: ${dir} already exists and is not empty; choose another name or --dir`, 1)
  const ours = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> }
  const version = (pkg: string) => ours.dependencies[pkg] ?? ours.devDependencies[pkg]
  const devTools = Object.fromEntries(['mocha', 'tsx', 'typescript', '@types/node', '@types/mocha'].map((pkg) => [pkg, version(pkg)]).filter(([, v]) => v))
  const files = scaffoldFiles({ name, medianestDir: ROOT.replace(/[/\\]$/, ''), devTools })
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    fs.writeFileSync(path.join(dir, file), text)
  }
  io.out(`Made the plugin "${name}" in ${dir}:`)
  for (const file of Object.keys(files).sort()) io.out(`  ${file}`)
  io.out(`
Next, in ${dir}:
  npm install                        MediaNest (linked from ${ROOT.replace(/[/\\]$/, '')}), mocha, tsx, typescript
  npm test                           its tests, against a whole MediaNest on PGlite
  npx medianest plugins check .      the import boundary and the conformance suite
Then enable it in medianest.config.json: "${name}": { "enabled": true, "source": "${dir}" }`)
  return 0
}
