// Runs `node bin/medianest.js …` as an operator would, in a child process, with the
// server's variables cleared so the developer's own settings never leak in.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/medianest.js', import.meta.url))
const CONFIG_VARIABLES = /^(PORT|HOST|PUBLIC_URL|DATABASE_URL|DATA_DIR|LOG_LEVEL|TRUST_PROXY|MEDIANEST_.*)$/

export interface CliRun { code: number | null; stdout: string; stderr: string }

export function runCli(args: string[], options: { cwd: string; env?: Record<string, string>; stdin?: string }): Promise<CliRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CONFIG_VARIABLES.test(k)))
  const child = spawn(process.execPath, [BIN, ...args], { cwd: path.resolve(options.cwd), env: { ...inherited, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] })
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
