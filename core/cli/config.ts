// `medianest config check [file]` and `medianest config schema`.
import { ConfigError, configJsonSchema, loadConfig, type Config } from '../config.ts'
import { initialAdminPasswordProblem } from '../auth/passwords.ts'
import { PluginConfigError } from '../plugin-api.ts'
import { PluginHost } from '../plugins/host.ts'
import { HELP_OPTION, parseCommandArgs } from './arguments.ts'
import { CliError, UsageError } from './cli-error.ts'
import { cliLogger, describeDatabase, fromCommandFolder } from './load.ts'
import type { CliIo } from './io.ts'

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

export async function configCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('config', args, { ...HELP_OPTION })
  if (values.help) {
    io.out(configUsage)
    return 0
  }
  const [action, ...rest] = positionals
  if (action === 'schema') {
    if (rest.length) throw new UsageError(`config schema: unexpected argument "${rest[0]}"`)
    io.out(JSON.stringify(configJsonSchema(), null, 2))
    return 0
  }
  if (action === 'check') {
    if (rest.length > 1) throw new UsageError(`config check: unexpected argument "${rest[1]}"`)
    return check(rest[0], io)
  }
  throw new UsageError(action ? `config: unknown action "${action}" (use check or schema)` : 'config: say what to do: check or schema')
}

async function check(file: string | undefined, io: CliIo): Promise<number> {
  // Every problem in one run: the core's keys, then the plugins (checked against the
  // configuration with the broken core keys at their defaults), then the bootstrap admin.
  const problems: string[] = []
  let config: Config
  try {
    config = fromCommandFolder(io, loadConfig({ file, env: io.env, cwd: io.cwd }))
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    if (!error.partial) throw new CliError(`the configuration is invalid (${error.source}):`, 1, error.problems)
    problems.push(...error.problems)
    config = fromCommandFolder(io, error.partial)
  }
  let host: PluginHost | undefined
  try {
    host = await PluginHost.prepare(config, cliLogger(io))
  } catch (error) {
    if (!(error instanceof PluginConfigError)) throw error
    problems.push(...error.problems)
  }
  // The server refuses these only when it uses them (no admin yet); say so now.
  if (config.bootstrapAdmin) {
    const problem = await initialAdminPasswordProblem(config.bootstrapAdmin.password, config.bootstrapAdmin.email)
    if (problem) problems.push(`bootstrapAdmin.password (MEDIANEST_ADMIN_PASSWORD): ${problem}`)
  }
  if (problems.length || !host) {
    throw new CliError(`the configuration has problems (${config.configFile ?? 'defaults and environment'}):`, 1, problems)
  }
  io.out('configuration OK')
  io.out(`  file:      ${config.configFile ?? 'none (defaults and environment only)'}`)
  io.out(`  listen:    ${config.host}:${config.port}${config.publicUrl ? ` (public address ${config.publicUrl})` : ''}`)
  io.out(`  database:  ${describeDatabase(config)}`)
  io.out(`  plugins:   ${host.plugins.map((p) => `${p.name}@${p.version}`).join(', ') || 'none enabled'}`)
  return 0
}
