#!/usr/bin/env node
// `npm test`: type-check, lint, htmx-4 idiom check, then every mocha test on one
// backend: PGlite, or the PostgreSQL server named by TEST_DATABASE_URL.
import { spawnSync } from 'node:child_process'
import pg from 'pg'

const env = { ...process.env, NODE_ENV: 'test' }
const run = (label, cmd, args) => {
  process.stdout.write(`\n== ${label}\n`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env })
  if (r.status !== 0) {
    process.stdout.write(`\n${label} failed (exit ${r.status ?? r.signal})\n`)
    process.exit(r.status || 1)
  }
}

const url = process.env.TEST_DATABASE_URL
if (url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  try {
    await client.connect()
    await client.end()
  } catch (error) {
    process.stdout.write(`PostgreSQL at TEST_DATABASE_URL is not reachable: ${error.message}\n`)
    process.exit(1)
  }
}

const only = process.argv.slice(2)
// The static checks do not depend on the database or the Node version: CI runs them once.
if (!only.length && process.env.MEDIANEST_SKIP_STATIC_CHECKS !== '1') {
  run('type check (tsc --noEmit)', 'npx', ['tsc', '--noEmit'])
  run('lint (eslint)', 'npx', ['eslint', '--max-warnings=0', '.'])
  run('htmx 4 idioms (upgrade-check)', 'npx', ['htmx.org', 'upgrade-check', '--ext', '.eta', 'views', 'plugins'])
}
run(`tests on ${url ? 'PostgreSQL' : 'PGlite'}`, 'npx', ['mocha', ...(only.length ? only : ['test/**/*.test.ts'])])
if (!url) {
  process.stdout.write('\nThe PostgreSQL pass was skipped: set TEST_DATABASE_URL=postgres://… to run it (CI runs both).\n')
}
