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
      }, {
        // CI has a budget (.ci/run): a test waits on state (waitFor) or moves the clock, never sits out time.
        selector: "CallExpression[callee.name='sleep'][arguments.0.value>250]",
        message: 'A fixed wait over 250 ms: wait on the state you expect (waitFor) or move the clock (clock.advance).',
      }, {
        selector: "NewExpression[callee.name='Promise'] CallExpression[callee.name='setTimeout'][arguments.length=2][arguments.0.type='Identifier'][arguments.1.value>250]",
        message: 'A fixed wait over 250 ms: wait on the state you expect (waitFor) or move the clock (clock.advance).',
      }],
    },
  },
  {
    // One time for everything (core/clock.ts, ctx.clock): tests move it instead of sleeping.
    // Elapsed real time (a response time, a throttle) is performance.now().
    files: ['core/**/*.ts', 'plugins/**/*.ts'],
    ignores: ['core/clock.ts', 'plugins/**/*.test.ts'],
    rules: {
      'no-restricted-properties': ['error', {
        object: 'Date', property: 'now',
        message: "Take the time from the host's clock (clock.now() in the core, ctx.clock in a plugin), or performance.now() for elapsed real time.",
      }],
      'no-restricted-syntax': ['error', {
        selector: "NewExpression[callee.name='Date'][arguments.length=0]",
        message: "Take the time from the host's clock (clock.now() in the core, ctx.clock.now() in a plugin).",
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
