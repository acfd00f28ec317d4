// The core's import rules, checked with the static checks (scripts/run-tests.js):
// - no import circle in core/, type-only imports included (a circle means two modules
//   that cannot be understood, tested or moved apart);
// - the core imports no plugin (it knows none by name; scripts/check-core-names.js
//   checks the names in its strings).
// The plugins' own boundary (only the contract) is ESLint's rule, scripts/plugin-import-boundary.js.
module.exports = {
  forbidden: [
    {
      name: 'no-circle-in-core',
      comment: 'Break it with a narrow interface or by moving the shared piece down a layer (ARCHITECTURE.md).',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^core/', circular: true },
    },
    {
      name: 'core-imports-no-plugin',
      comment: 'The core knows no plugin: what it needs from plugins comes through the contract (core/plugin-api.ts).',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^plugins/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(build|node_modules)/' },
  },
}
