// Failures an operator can act on. main.ts prints them as a message plus detail
// lines, never a stack trace; anything else is a bug and keeps its stack.

/** Exit codes: 0 done, 1 failed (the message says why), 2 wrong usage, 130 cancelled. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1, readonly details: string[] = []) {
    super(message)
    this.name = 'CliError'
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2)
    this.name = 'UsageError'
  }
}
