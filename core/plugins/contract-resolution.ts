// A community plugin in a folder of its own imports the contract by name
// ('medianest/plugin-api', 'medianest/testing', 'medianest/plugins/<name>/api') without
// installing MediaNest beside it. Node would look for node_modules/medianest above the
// plugin's folder and fail; this resolve hook answers those names as if they were
// imported from inside this package, so they land on the very modules the host uses
// (one contract, one set of error classes). Everything else resolves as usual.
import module from 'node:module'

const OWN_PACKAGE = new URL('../../package.json', import.meta.url).href
let registered = false

export function resolveContractFromAnywhere(): void {
  if (registered) return
  registered = true
  const hook = `export async function resolve(specifier, context, next) {
  if (specifier === 'medianest' || specifier.startsWith('medianest/')) {
    return next(specifier, { ...context, parentURL: ${JSON.stringify(OWN_PACKAGE)} })
  }
  return next(specifier, context)
}`
  module.register(`data:text/javascript,${encodeURIComponent(hook)}`)
}
