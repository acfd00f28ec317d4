// A certificate authority made in the test (openssl): leaf certificates valid for a span of
// our choosing (already expired, expiring in 5 days, a year), for a host of our choosing,
// signed with a digest of our choosing; and HTTPS servers presenting them. Node refuses to
// serve a weakly signed certificate at all, so that one is served by `openssl s_server`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import https from 'node:https'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'

export interface TestCa { dir: string; caFile: string; issue(leaf: LeafOptions): { key: string; cert: string } }
export interface LeafOptions { name: string; san?: string; from?: Date; until: Date; digest?: 'sha256' | 'sha1' }

const stamp = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`

export function makeTestCa(): TestCa {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-ca-'))
  fs.mkdirSync(path.join(dir, 'db'))
  fs.writeFileSync(path.join(dir, 'db', 'index.txt'), '')
  fs.writeFileSync(path.join(dir, 'db', 'serial'), '1000\n')
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=MediaNest Test CA/O=MediaNest Test CA'])
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    issue(leaf) {
      fs.writeFileSync(path.join(dir, `${leaf.name}.cnf`), [
        '[ ca ]', 'default_ca = test', '[ test ]', 'dir = .', 'database = db/index.txt', 'serial = db/serial', 'new_certs_dir = db',
        'certificate = ca.pem', 'private_key = ca.key', `default_md = ${leaf.digest ?? 'sha256'}`, 'policy = any', 'unique_subject = no', 'copy_extensions = none',
        '[ any ]', 'commonName = supplied', '[ leaf ]', `subjectAltName = ${leaf.san ?? 'IP:127.0.0.1'}`, '',
      ].join('\n'))
      run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${leaf.name}.key`, '-out', `${leaf.name}.csr`, '-subj', `/CN=${leaf.name}`])
      run(['ca', '-batch', '-config', `${leaf.name}.cnf`, '-extensions', 'leaf', '-md', leaf.digest ?? 'sha256',
        '-startdate', stamp(leaf.from ?? new Date(Date.now() - 86_400_000)), '-enddate', stamp(leaf.until), '-in', `${leaf.name}.csr`, '-out', `${leaf.name}.pem`])
      return { key: path.join(dir, `${leaf.name}.key`), cert: path.join(dir, `${leaf.name}.pem`) }
    },
  }
}

export interface TlsTarget { url: string; close(): Promise<void> }

export async function startTlsTarget(files: { key: string; cert: string }): Promise<TlsTarget> {
  const server = https.createServer({ key: fs.readFileSync(files.key), cert: fs.readFileSync(files.cert) }, (_req, res) => res.end('ok'))
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
  return { url: `https://127.0.0.1:${port}/`, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }) }
}

/** `openssl s_server` at security level 0, so it presents a certificate Node would refuse to serve. */
export async function startOpensslTarget(files: { key: string; cert: string }): Promise<TlsTarget> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as AddressInfo).port
      probe.close(() => resolve(p))
    })
  })
  const child: ChildProcess = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', files.cert, '-key', files.key, '-www', '-cipher', 'DEFAULT:@SECLEVEL=0', '-quiet'], { stdio: 'ignore' })
  // Ready when it accepts a connection.
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1').once('connect', () => { s.destroy(); resolve(true) }).once('error', () => resolve(false))
    })
    if (up) break
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url: `https://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGKILL')
    }),
  }
}
