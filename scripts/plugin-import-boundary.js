// The plugin import boundary, as an ESLint rule: a plugin imports its own files, the
// contract ('medianest/plugin-api', and 'medianest/testing' in tests), other plugins
// only through their api ('medianest/plugins/<name>/api', or '../<name>/api.ts' between
// first-party plugins), and any npm package. Nothing else of MediaNest's. Used by the
// repository's eslint.config.js and by `medianest plugins check <folder>` for a plugin
// anywhere on disk, so both draw the same line.
import path from 'node:path'

const CONTRACT = /^medianest\/(plugin-api|testing|plugins\/[a-z][a-z0-9-]*\/api)$/

/** The plugin folder a file belongs to: `…/plugins/<name>`; null outside one. */
export function pluginRootOf(file) {
  const match = /^(.*[/\\]plugins[/\\][^/\\]+)[/\\]/.exec(file)
  return match ? match[1] : null
}

export const importBoundaryRule = {
  meta: {
    type: 'problem',
    docs: { description: 'A plugin imports only the published contract, its own files and other plugins\' api.' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      internal: "'{{source}}' is not part of the plugin contract: import 'medianest/plugin-api' (and 'medianest/testing' in tests).",
      outside: "'{{source}}' reaches outside this plugin: import the contract as 'medianest/plugin-api', and another plugin only through its api ('medianest/plugins/<name>/api').",
    },
  },
  create(context) {
    const file = context.filename
    const root = context.options[0]?.root ? path.resolve(context.options[0].root) : pluginRootOf(file)
    if (!root) return {}
    const check = (node) => {
      const source = node?.type === 'Literal' && typeof node.value === 'string' ? node.value : null
      if (source === null) return
      if (source === 'medianest' || source.startsWith('medianest/')) {
        if (!CONTRACT.test(source)) context.report({ node, messageId: 'internal', data: { source } })
        return
      }
      if (!source.startsWith('.') && !path.isAbsolute(source) && !source.startsWith('file:')) return
      const target = source.startsWith('file:') ? new URL(source).pathname : path.resolve(path.dirname(file), source)
      const inside = target === root || target.startsWith(root + path.sep)
      // First-party plugins sit side by side in plugins/: a sibling's api.ts is its public surface.
      const siblingApi = path.basename(target) === 'api.ts' && path.dirname(path.dirname(target)) === path.dirname(root)
      if (!inside && !siblingApi) context.report({ node, messageId: 'outside', data: { source } })
    }
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    }
  },
}
