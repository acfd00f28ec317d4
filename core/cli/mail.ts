// `medianest mail test <address>`: one mail now, through the configured SMTP server, to
// see the settings work before anyone relies on them (a reset link, a notification).
import { cleanSubject, recipientProblem, SmtpSender } from '../mail.ts'
import { CONFIG_OPTION, HELP_OPTION, parseCommandArgs } from './arguments.ts'
import { CliError, UsageError } from './cli-error.ts'
import { loadCliConfig } from './load.ts'
import type { CliIo } from './io.ts'

export const mailUsage = `Usage: medianest mail test <address> [--config <file>]

Sends one test mail to <address> now, through the SMTP server in the configuration's
"mail" section, and says what the server answered (a refused login, an unknown host, a
certificate it does not trust...). Needs no database; queues nothing.

Options:
  --config <file>  the configuration file (default: $MEDIANEST_CONFIG, then ./medianest.config.json)
  -h, --help       this text`

export async function mailCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('mail', args, { ...CONFIG_OPTION, ...HELP_OPTION })
  if (values.help) {
    io.out(mailUsage)
    return 0
  }
  const [action, address, ...rest] = positionals
  if (action !== 'test') throw new UsageError(action ? `mail: unknown action "${action}" (use test)` : 'mail: say what to do: test <address>')
  if (!address) throw new UsageError('mail test: give the address to send to')
  if (rest.length) throw new UsageError(`mail test: unexpected argument "${rest[0]}"`)
  const config = loadCliConfig(io, values.config as string | undefined)
  if (!config.mail) throw new CliError('mail is not configured: add a "mail" section (host, port, secure, user, password, from) to the configuration')
  const problem = recipientProblem(address)
  if (problem) throw new UsageError(`mail test: ${problem}`)
  const smtp = new SmtpSender(config.mail, config.configDir)
  try {
    await smtp.verify()
    await smtp.send({ to: address.trim(), subject: cleanSubject('MediaNest test mail'), text: `This is a test mail from MediaNest, sent with "medianest mail test".\n\nIf you can read it, mail from MediaNest reaches ${address.trim()}.\n` })
  } catch (error) {
    throw new CliError(`the test mail to ${address} was not sent: ${(error as Error).message}`)
  } finally {
    smtp.close()
  }
  io.out(`Sent a test mail to ${address} through ${config.mail.host}:${config.mail.port}.`)
  return 0
}
