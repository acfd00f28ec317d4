// What a command reads and writes besides the database: its output, its errors, its
// input, its environment and its working folder. bin/medianest.js gives it the
// process's own; tests run commands in-process with their own (a CLI start under tsx
// costs seconds of CPU), so no command touches `process` or `console` directly.
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'

export interface CliIo {
  /** One line (or more) of the command's output, on stdout. */
  out(text: string): void
  /** One line (or more) of errors and warnings, on stderr. */
  err(text: string): void
  /** Where prompts and log lines are written (stderr): stdout stays the command's output. */
  readonly stderr: Writable
  readonly stdin: Readable & { isTTY?: boolean }
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
}

export function processIo(): CliIo {
  return {
    out: (text) => { process.stdout.write(`${text}\n`) },
    err: (text) => { process.stderr.write(`${text}\n`) },
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  }
}

/** A path as the operator gave it, from the folder the command runs in. */
export function resolveFrom(io: CliIo, file: string): string {
  return path.resolve(io.cwd, file)
}
