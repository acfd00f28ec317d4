// Finds the plugins: first-party ones in plugins/<name>, community ones from the
// folder or npm package that the config names as `source`.
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isPluginDefinition, type PluginDefinition } from '../plugin-api.ts'
import type { Config, PluginEntry } from '../config.ts'
import { resolveContractFromAnywhere } from './contract-resolution.ts'
import { importPluginModule } from './plugin-import.ts'

export const FIRST_PARTY_DIR = fileURLToPath(new URL('../../plugins', import.meta.url))

export interface DiscoveredPlugin {
  /** The config key (and, when valid, the plugin's name). */
  key: string
  definition: PluginDefinition
  dir: string
  origin: 'first-party' | 'community'
  entry: PluginEntry | undefined
  enabled: boolean
}

export interface Discovery { plugins: DiscoveredPlugin[]; problems: string[] }

const ENTRY_FILES = ['index.ts', 'index.js', 'index.mjs']

export async function discoverPlugins(config: Config, firstPartyDir = FIRST_PARTY_DIR): Promise<Discovery> {
  // Before any plugin loads: first-party and community plugins import the contract by name.
  resolveContractFromAnywhere()
  const plugins: DiscoveredPlugin[] = []
  const problems: string[] = []
  const entries = config.plugins

  const folders = fs.existsSync(firstPartyDir)
    ? fs.readdirSync(firstPartyDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    : []
  for (const folder of folders) {
    const dir = path.join(firstPartyDir, folder)
    const file = ENTRY_FILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f))
    if (!file) continue
    const entry = entries[folder]
    if (entry?.source) continue // the config points this name elsewhere
    const definition = await importDefinition(pathToFileURL(file).href, `plugins/${folder}`, problems)
    if (!definition) continue
    const enabled = entry ? entry.enabled : definition.enabledByDefault ?? true
    plugins.push({ key: folder, definition, dir, origin: 'first-party', entry, enabled })
  }

  for (const [key, entry] of Object.entries(entries)) {
    if (!entry.source) {
      if (!folders.includes(key)) {
        problems.push(`plugins.${key}: there is no first-party plugin named "${key}"; a community plugin needs "source" (a folder or an npm package)`)
      }
      continue
    }
    const located = locate(entry.source, config.configDir)
    if ('problem' in located) {
      problems.push(`plugins.${key}.source: ${located.problem}`)
      continue
    }
    const hint = esmScopeHint(located.file, located.dir)
    const definition = await importDefinition(pathToFileURL(located.file).href, `plugins.${key}.source`, problems, hint)
    if (!definition) continue
    plugins.push({ key, definition, dir: located.dir, origin: 'community', entry, enabled: entry.enabled })
  }
  return { plugins, problems }
}

function locate(source: string, configDir: string): { file: string; dir: string } | { problem: string } {
  if (source.startsWith('.') || path.isAbsolute(source)) {
    const dir = path.resolve(configDir, source)
    if (!fs.existsSync(dir)) return { problem: `the folder ${dir} does not exist` }
    const file = ENTRY_FILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f)) ?? mainOf(dir)
    return file ? { file, dir } : { problem: `${dir} has no index.ts, index.js or package.json "main"` }
  }
  try {
    const file = createRequire(path.join(configDir, 'noop.js')).resolve(source)
    return { file, dir: path.dirname(file) }
  } catch {
    return { problem: `the npm package "${source}" is not installed (npm install ${source})` }
  }
}

/**
 * What to do when a plugin's entry is outside an ES module scope, where TypeScript is
 * loaded as CommonJS and 'medianest/…' cannot resolve; '' when it is inside one. Said
 * the same by the server and by `plugins check`.
 */
export function esmScopeHint(file: string, dir: string): string {
  return !file.endsWith('.mjs') && !file.endsWith('.mts') && !isEsmScope(file)
    ? ` (${dir} has no package.json with "type": "module": add one, see docs/plugins.md)` : ''
}

/** Whether the nearest package.json above a file says "type": "module", as Node decides it. */
function isEsmScope(file: string): boolean {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const pkgFile = path.join(dir, 'package.json')
    if (fs.existsSync(pkgFile)) {
      try {
        return (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { type?: string }).type === 'module'
      } catch {
        return false
      }
    }
    if (path.dirname(dir) === dir) return false
  }
}

function mainOf(dir: string): string | undefined {
  const pkgFile = path.join(dir, 'package.json')
  if (!fs.existsSync(pkgFile)) return undefined
  const main = (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { main?: string }).main
  return main ? path.join(dir, main) : undefined
}

async function importDefinition(href: string, where: string, problems: string[], hint = ''): Promise<PluginDefinition | null> {
  try {
    const mod = (await importPluginModule(href)) as { default?: unknown }
    if (!isPluginDefinition(mod.default)) {
      problems.push(`${where}: the module's default export is not a definePlugin({...}) result`)
      return null
    }
    return mod.default
  } catch (error) {
    problems.push(`${where}: the plugin could not be loaded: ${(error as Error).message.split('\n')[0]}${hint}`)
    return null
  }
}
