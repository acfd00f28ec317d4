// Imports a plugin's module (its entry, its migrations). From the sources (under tsx,
// in development and tests) that is a plain import(). The compiled server (build/, what
// `npm start` runs) has no TypeScript compiler in it, and first-party plugins are
// compiled with the core; a community plugin's files are loaded as its author shipped them:
// - its imports of the core's or first-party plugins' sources are pointed at the
//   compiled modules (./build-redirect.ts), for one shared plugin-api;
// - TypeScript is stripped by Node itself where it can (22.18+, 23.6+, 24); on older
//   Node, for syntax Node does not strip (enums, namespaces, parameter properties) and
//   for a package under node_modules, tsx is loaded then, and only for those modules.
import module from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { NamespacedUnregister } from 'tsx/esm/api'
import { initialize, resolveSync } from './build-redirect.ts'

const RUNNING_COMPILED = import.meta.url.endsWith('.js')
/** The repository: build/core/plugins/plugin-import.js is three folders below it. */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const BUILD = path.join(ROOT, 'build')
const TYPESCRIPT_FILE = /\.(ts|mts|cts)$/
/** In-thread resolution hooks (Node 22.15+, 23.5+); older Node has only module.register. */
const registerHooks = (module as { registerHooks?: (hooks: { resolve: typeof resolveSync }) => unknown }).registerHooks

let redirected = false
let redirectedAfterTsx = false
let tsx: NamespacedUnregister | null = null

export async function importPluginModule(href: string): Promise<unknown> {
  const file = fileURLToPath(href)
  if (!RUNNING_COMPILED || !path.relative(BUILD, file).startsWith('..')) return import(href)
  const typescript = TYPESCRIPT_FILE.test(file)
  if (typescript && (process.features as { typescript?: string | false }).typescript) {
    redirectToBuild()
    try {
      return await import(href)
    } catch (error) {
      // Syntax Node does not strip, or a package under node_modules (never stripped).
      const code = (error as { code?: string }).code
      if (code !== 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' && code !== 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING') throw error
    }
  }
  if (!typescript) {
    redirectToBuild()
    return import(href)
  }
  if (!tsx) {
    const { register } = await import('tsx/esm/api')
    // tsx's namespace gives its modules URLs of their own, so a failed native attempt
    // above is not served again from the module cache.
    tsx = register({ namespace: 'medianest-plugins' })
  }
  // tsx tags what it resolves with its namespace, which would load a second copy of a
  // compiled module: the redirect must run before tsx, so it is registered again after
  // tsx, both ways (tsx registers in-thread or on the hooks thread depending on Node's
  // version, and in-thread hooks run before those of the hooks thread).
  if (!redirectedAfterTsx) {
    redirectedAfterTsx = true
    module.register(new URL('./build-redirect.js', import.meta.url), { data: { root: ROOT } })
    redirected = false
    if (registerHooks) redirectToBuild()
  }
  return tsx.import(href, import.meta.url)
}

/**
 * In-thread where Node has module.registerHooks, else on the hooks thread. Only ever
 * called compiled, where the hooks module is build-redirect.js.
 */
function redirectToBuild(): void {
  if (redirected) return
  if (registerHooks) {
    initialize({ root: ROOT })
    registerHooks({ resolve: resolveSync })
  } else {
    module.register(new URL('./build-redirect.js', import.meta.url), { data: { root: ROOT } })
  }
  redirected = true
}
