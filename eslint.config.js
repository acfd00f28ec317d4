// Lint: TypeScript's recommended rules, plus the plugin import boundary: a plugin
// imports core/plugin-api.ts and other plugins' api.ts, nothing else of theirs.
import tseslint from 'typescript-eslint'

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
    files: ['plugins/**/*.ts', 'plugins/**/*.js'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          {
            regex: '(^|/)core/(?!plugin-api\\.ts$)',
            message: 'A plugin imports only core/plugin-api.ts from the core.',
          },
          {
            // Up out of this plugin into a sibling folder, to anything but its api.ts.
            regex: '^(\\.\\./)+(?!core/)[^./][^/]*/(?!api\\.ts$)',
            message: "A plugin imports only another plugin's api.ts.",
          },
        ],
      }],
    },
  },
)
