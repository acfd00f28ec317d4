// Questions for commands that need answers: on a terminal, readline with the
// password not echoed; otherwise (a pipe, a script) one line of stdin per answer.
import readline from 'node:readline'
import { Writable, type Readable } from 'node:stream'
import { CliError } from './cli-error.ts'

export interface Prompter {
  /** True on a terminal: a person is answering. */
  readonly interactive: boolean
  /** `what` names the answer in errors: "the input ended before the email was given". */
  ask(question: string, what: string): Promise<string>
  askSecret(question: string, what: string): Promise<string>
  close(): void
}

export function createPrompter(input: Readable & { isTTY?: boolean }, output: Writable): Prompter {
  const interactive = Boolean(input.isTTY)
  let muted = false
  // readline echoes what is typed to its output; for secrets that output goes nowhere.
  const echo = new Writable({
    write(chunk, encoding, done) {
      if (!muted) output.write(chunk, encoding)
      done()
    },
  })
  const rl = readline.createInterface({ input, output: echo, terminal: interactive })
  const lines: string[] = []
  const waiting: Array<{ what: string; resolve(line: string): void; reject(error: Error): void }> = []
  let ended: 'eof' | 'cancelled' | null = null
  const endError = (what: string) => ended === 'cancelled'
    ? new CliError('cancelled; nothing was changed', 130)
    : new CliError(`the input ended before the ${what} was given; nothing was changed`)
  const end = (why: 'eof' | 'cancelled') => {
    ended ??= why
    muted = false
    for (const w of waiting.splice(0)) w.reject(endError(w.what))
  }
  rl.on('close', () => end('eof'))
  rl.on('SIGINT', () => {
    end('cancelled')
    output.write('\n')
    rl.close()
  })
  if (!interactive) {
    rl.on('line', (line) => {
      const w = waiting.shift()
      if (w) w.resolve(line)
      else lines.push(line)
    })
  }

  const nextLine = (question: string, what: string, secret: boolean): Promise<string> => {
    if (!interactive) {
      const buffered = lines.shift()
      if (buffered !== undefined) return Promise.resolve(buffered)
      if (ended) return Promise.reject(endError(what))
      return new Promise((resolve, reject) => waiting.push({ what, resolve, reject }))
    }
    if (ended) return Promise.reject(endError(what))
    return new Promise((resolve, reject) => {
      const waiter = { what, resolve, reject }
      waiting.push(waiter)
      rl.question(question, (answer) => {
        if (secret) {
          muted = false
          output.write('\n')
        }
        waiting.splice(waiting.indexOf(waiter), 1)
        resolve(answer)
      })
      // The question is written by now; what follows is typing.
      if (secret) muted = true
    })
  }

  return {
    interactive,
    ask: (question, what) => nextLine(question, what, false).then((a) => a.trim()),
    askSecret: (question, what) => nextLine(question, what, true),
    close: () => rl.close(),
  }
}
