// Module resolution hooks for the compiled server (build/): an import that resolves
// to one of the core's or a first-party plugin's TypeScript sources
// (`../medianest/core/plugin-api.ts` from a community plugin) is pointed at the
// module the build compiled from it, so the plugin and the host share one instance
// of each module: one HttpError class for `instanceof`, one set of service refs.
// Loaded with module.registerHooks where Node has it (in-thread), otherwise with
// module.register (the hooks thread), which passes { root } to initialize().
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

interface Resolved { url: string; format?: string | null; shortCircuit?: boolean }
type NextResolve = (specifier: string, context: unknown) => Resolved | Promise<Resolved>

let root = ''

export function initialize(data: { root: string }): void {
  root = data.root
}

/**
 * build/<path>.js for <root>/core/<path>.ts (or .js) and <root>/plugins/…, when the build
 * has it; and a compiled module's own URL without a query (a loader's tag such as tsx's
 * namespace would otherwise make it a second instance).
 */
export function compiledCounterpart(url: string, repoRoot = root): string | null {
  if (!repoRoot || !url.startsWith('file:')) return null
  const rel = path.relative(repoRoot, fileURLToPath(url))
  if (/^build[\\/](core|plugins)[\\/].*\.js$/.test(rel)) return url.includes('?') ? pathToFileURL(path.join(repoRoot, rel)).href : null
  if (!/^(core|plugins)[\\/]/.test(rel) || !/\.(ts|js)$/.test(rel) || rel.endsWith('.d.ts')) return null
  const built = path.join(repoRoot, 'build', rel.replace(/\.ts$/, '.js'))
  return fs.existsSync(built) ? pathToFileURL(built).href : null
}

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<Resolved> {
  const resolved = await nextResolve(specifier, context)
  const built = compiledCounterpart(resolved.url)
  return built ? { url: built, format: 'module', shortCircuit: true } : resolved
}

/** The same, synchronous, for module.registerHooks. */
export function resolveSync(specifier: string, context: unknown, nextResolve: NextResolve): Resolved {
  const resolved = nextResolve(specifier, context) as Resolved
  const built = compiledCounterpart(resolved.url)
  return built ? { url: built, format: 'module', shortCircuit: true } : resolved
}
