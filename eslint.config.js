// Lint: TypeScript's recommended rules, plus the plugin import boundary: a plugin
// imports the published contract ('medianest/plugin-api') and other plugins' api, nothing else.
import tseslint from 'typescript-eslint'
import { importBoundaryRule } from './scripts/plugin-import-boundary.js'

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'build/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Our CSP refuses eval, so a string predicate fails as soon as its first check does.
    files: ['test/**/*.ts', 'plugins/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.property.name='waitForFunction'][arguments.0.type=/^(Literal|TemplateLiteral|BinaryExpression)$/]",
        message: 'A string given to waitForFunction is eval, which our CSP refuses: use waitForText/waitForVisible from test/support/page-waits.ts.',
      }],
    },
  },
  {
    // The plugin import boundary (scripts/plugin-import-boundary.js): first-party plugins,
    // and the community-style fixture plugins, import only the published contract.
    files: ['plugins/**/*.ts', 'plugins/**/*.js', 'test/fixtures/plugins/**/*.ts'],
    plugins: { medianest: { rules: { 'import-boundary': importBoundaryRule } } },
    rules: { 'medianest/import-boundary': 'error' },
  },
)
