// Flag parsing for every command (node:util parseArgs), with mistakes turned into
// usage errors (exit 2) instead of Node's stack traces.
import { parseArgs } from 'node:util'
import { UsageError } from './cli-error.ts'

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>

export function parseCommandArgs<O extends OptionSpec>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    // Node's messages go on to explain `--`; the first sentence is what people need.
    const first = (error as Error).message.split(/\.\s/)[0].replace(/\.$/, '')
    throw new UsageError(`${command}: ${first}`)
  }
}

/** The options every command that reads the configuration accepts. */
export const CONFIG_OPTION = { config: { type: 'string' } } as const
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const
