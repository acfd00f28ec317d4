// Runs `medianest …` as an operator would, with the server's variables cleared so the
// developer's own settings never leak in. In this process by default (the command gets
// its own output, input, environment and folder: core/cli/io.ts), since a child
// process under tsx costs seconds of CPU each; `runCliProcess` spawns the real
// bin/medianest.js, for the tests that are about the process itself.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { runCli as runCommand } from '../../core/cli/main.ts'

const BIN = fileURLToPath(new URL('../../bin/medianest.js', import.meta.url))
const CONFIG_VARIABLES = /^(PORT|HOST|PUBLIC_URL|DATABASE_URL|DATA_DIR|LOG_LEVEL|TRUST_PROXY|MEDIANEST_.*)$/

export interface CliRun { code: number | null; stdout: string; stderr: string }
export interface CliRunOptions { cwd: string; env?: Record<string, string>; stdin?: string }

function environment(options: CliRunOptions): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CONFIG_VARIABLES.test(k)))
  return { ...inherited, ...options.env }
}

export async function runCli(args: string[], options: CliRunOptions): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const code = await runCommand(args, {
    out: (text) => { stdout += `${text}\n` },
    err: (text) => { stderr += `${text}\n` },
    stderr: new Writable({ write(chunk, _encoding, done) { stderr += String(chunk); done() } }),
    stdin: Readable.from(options.stdin ? [options.stdin] : []),
    env: environment(options),
    cwd: path.resolve(options.cwd),
  })
  return { code, stdout, stderr }
}

export function runCliProcess(args: string[], options: CliRunOptions): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: path.resolve(options.cwd), env: environment(options), stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  child.stdin.end(options.stdin ?? '')
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
