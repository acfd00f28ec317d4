#!/usr/bin/env node
// `npx medianest <command>`: runs core/cli/main.ts under tsx (resolved next to this
// file, so it works from any folder) and exits with its code.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const cliEntry = fileURLToPath(new URL('../core/cli/main.ts', import.meta.url))
const tsx = import.meta.resolve('tsx')
const child = spawnSync(process.execPath, ['--import', tsx, cliEntry, ...process.argv.slice(2)], { stdio: 'inherit' })

if (child.error) {
  console.error(`medianest: could not start the command: ${child.error.message}`)
  process.exit(1)
}
if (child.signal) process.kill(process.pid, child.signal)
process.exit(child.status ?? 1)
