// `medianest <command>`: the operator's tools, on the same config, plugin host and
// database code as the server. bin/medianest.js runs this file under tsx.
import { fileURLToPath } from 'node:url'
import { CliError, UsageError } from './cli-error.ts'
import { configCommand } from './config.ts'
import { createAdminCommand } from './create-admin.ts'
import { mailCommand } from './mail.ts'
import { migrateCommand } from './migrate.ts'
import { pluginsCommand } from './plugins.ts'
import { seedCommand } from './seed.ts'
import { processIo, type CliIo } from './io.ts'

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  migrate: migrateCommand,
  plugins: pluginsCommand,
  config: configCommand,
  'create-admin': createAdminCommand,
  seed: seedCommand,
  mail: mailCommand,
}

export const usage = `Usage: medianest <command> [options]

Commands:
  migrate status                show done and pending migrations (core, then each enabled plugin)
  migrate up [owner]            apply every pending migration, or the next one of one owner
  migrate down <owner> [--all]  roll back the last batch of one owner ("core" or a plugin)
  plugins [--json]              list every plugin found, enabled or not; needs no database
  plugins check <folder>        check a plugin anywhere: import boundary and conformance suite
  config check [file]           validate the configuration and every enabled plugin's settings
  config schema                 print the JSON Schema of medianest.config.json
  create-admin [--email <address>] [--password <text>] [--name <name>]
                                create an admin, or make a user an admin with a new password
  mail test <address>           send one test mail now through the configured SMTP server
  seed demo [--force] [--admin-email <address>] [--admin-password <text>]
                                fill a fresh install with a small demo (users, sessions,
                                services, error log, plugins' demo data)

Run "medianest <command> --help" for more. Commands read the same configuration as the
server: defaults < medianest.config.json (or $MEDIANEST_CONFIG, or --config <file>)
< environment (DATABASE_URL, DATA_DIR, ...).

Exit codes: 0 done, 1 failed (the message says why), 2 wrong usage.`

export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && args[0] && Object.hasOwn(COMMANDS, args[0])) return COMMANDS[args[0]](['--help'], io)
    io.out(usage)
    return name ? 0 : 2
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`)
    return await command(args, io)
  } catch (error) {
    if (!(error instanceof CliError)) {
      // Not something an operator caused: keep the stack for the bug report.
      io.err(`medianest ${name} failed unexpectedly: ${(error as Error)?.stack ?? String(error)}`)
      return 1
    }
    io.err(`medianest: ${error.message}`)
    for (const line of error.details) io.err(`  - ${line}`)
    if (error instanceof UsageError) io.err(command ? `Run "medianest ${name} --help" for usage.` : `\n${usage}`)
    return error.exitCode
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await runCli(process.argv.slice(2))
  // Let stdout drain (a redirect to a file, a pipe), then leave even if a library left a handle open.
  process.stdout.write('', () => process.exit(code))
}
