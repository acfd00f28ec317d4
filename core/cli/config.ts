// `medianest config check [file]` and `medianest config schema`.
import { configJsonSchema } from '../config.ts'
import { initialAdminPasswordProblem } from '../auth/passwords.ts'
import { HELP_OPTION, parseCommandArgs } from './arguments.ts'
import { CliError, UsageError } from './cli-error.ts'
import { cliLogger, describeDatabase, loadCliConfig, preparePlugins } from './load.ts'

export const configUsage = `Usage: medianest config <action>

Actions:
  check [file]  validate the configuration the server would run with: defaults, then
                the file (default: $MEDIANEST_CONFIG, then ./medianest.config.json),
                then the environment (PORT, DATABASE_URL, DATA_DIR, ...); then every
                enabled plugin's settings. Prints each problem; exit 1 if any.
  schema        print the JSON Schema of the config file (for editors:
                "$schema": "./medianest.config.schema.json")

Options:
  -h, --help    this text`

export async function configCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('config', args, { ...HELP_OPTION })
  if (values.help) {
    console.log(configUsage)
    return 0
  }
  const [action, ...rest] = positionals
  if (action === 'schema') {
    if (rest.length) throw new UsageError(`config schema: unexpected argument "${rest[0]}"`)
    console.log(JSON.stringify(configJsonSchema(), null, 2))
    return 0
  }
  if (action === 'check') {
    if (rest.length > 1) throw new UsageError(`config check: unexpected argument "${rest[1]}"`)
    return check(rest[0])
  }
  throw new UsageError(action ? `config: unknown action "${action}" (use check or schema)` : 'config: say what to do: check or schema')
}

async function check(file: string | undefined): Promise<number> {
  const config = loadCliConfig(file)
  const host = await preparePlugins(config, cliLogger())
  // The server refuses these only when it uses them (no admin yet); say so now.
  if (config.bootstrapAdmin) {
    const problem = await initialAdminPasswordProblem(config.bootstrapAdmin.password, config.bootstrapAdmin.email)
    if (problem) throw new CliError('the configuration has problems:', 1, [`bootstrapAdmin.password (MEDIANEST_ADMIN_PASSWORD): ${problem}`])
  }
  console.log('configuration OK')
  console.log(`  file:      ${config.configFile ?? 'none (defaults and environment only)'}`)
  console.log(`  listen:    ${config.host}:${config.port}${config.publicUrl ? ` (public address ${config.publicUrl})` : ''}`)
  console.log(`  database:  ${describeDatabase(config)}`)
  console.log(`  plugins:   ${host.plugins.map((p) => `${p.name}@${p.version}`).join(', ') || 'none enabled'}`)
  return 0
}
