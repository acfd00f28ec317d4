// A plugin imports the contract by name: 'medianest/plugin-api', 'medianest/testing',
// 'medianest/plugins/<name>/api'. Node alone resolves those only from inside this
// package, and only to the TypeScript sources (package.json "exports"). This resolve
// hook answers them everywhere and for both ways of running: a community plugin in a
// folder of its own needs no node_modules, and the compiled server (build/, no
// TypeScript compiler in it) gets the compiled modules, so every plugin shares the very
// modules the host uses (one HttpError class for instanceof, one set of service refs).
// The answer names the format: every module of ours is ESM, and a loader that is left to
// guess (tsx, for a .ts file) would take it, and all it imports, for CommonJS.
import module from 'node:module'

const COMPILED = import.meta.url.endsWith('.js')
const EXT = COMPILED ? '.js' : '.ts'
/** The tree this module runs from: the repository, or build/ when compiled. */
const TREE = new URL('../../', import.meta.url)
/** The repository itself (test helpers are never compiled). */
const REPO = new URL(COMPILED ? '../../../' : '../../', import.meta.url)

let registered = false

export function resolveContractFromAnywhere(): void {
  if (registered) return
  registered = true
  const exact = {
    'medianest/plugin-api': new URL(`core/plugin-api${EXT}`, TREE).href,
    'medianest/testing': new URL('test/support/testing.ts', REPO).href,
  }
  const hook = `const exact = ${JSON.stringify(exact)}
const plugins = ${JSON.stringify(new URL('plugins/', TREE).href)}
export async function resolve(specifier, context, next) {
  if (Object.hasOwn(exact, specifier)) return { url: exact[specifier], format: 'module', shortCircuit: true }
  const api = /^medianest\\/plugins\\/([a-z][a-z0-9-]*)\\/api$/.exec(specifier)
  if (api) return { url: plugins + api[1] + '/api${EXT}', format: 'module', shortCircuit: true }
  return next(specifier, context)
}`
  module.register(`data:text/javascript,${encodeURIComponent(hook)}`)
}
