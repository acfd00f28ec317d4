// An nginx on loopback running the configuration docs/deploy.md documents, for benches
// that need MediaNest behind a real reverse proxy. The `upstream medianest` block and its
// `server` block are read from the page itself, and only what names this machine is
// changed: the upstream addresses, the listen address and the certificate (a self-signed
// one made here with openssl). So the page cannot drift from what was tested. Nothing is
// installed: without /usr/sbin/nginx the bench stops and says how to get it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { processTree } from '../test/support/process-tree.ts'

export const NGINX = '/usr/sbin/nginx'
const DEPLOY_DOC = fileURLToPath(new URL('../docs/deploy.md', import.meta.url))
/** Bench only, outside the documented block: which MediaNest answered (nginx lists every one it tried). */
export const UPSTREAM_HEADER = 'X-Bench-Upstream'

export interface Nginx {
  /** The address clients use, e.g. https://[::1]:43210. */
  url: string
  version: string
  /** The documented block as written here, and the lines that differ from the page. */
  block: string
  changedLines: Array<{ documented: string; written: string }>
  /** nginx's error log so far (what it says when it marks a process failed). */
  errorLog(): string
  stop(): Promise<void>
}

export function nginxMissing(): string | null {
  if (fs.existsSync(NGINX)) return null
  return `${NGINX} is not there: install it with \`apt-get install nginx\` (this bench installs nothing itself).`
}

/** The first ```nginx block of docs/deploy.md that defines `upstream medianest`. */
export function documentedBlock(): string {
  const page = fs.readFileSync(DEPLOY_DOC, 'utf8')
  const block = [...page.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => /^upstream medianest \{/m.test(b))
  if (!block) throw new Error(`${DEPLOY_DOC} has no \`\`\`nginx block with "upstream medianest {": the bench runs the documented configuration, so it cannot run without it.`)
  return block
}

/**
 * The documented block with this machine's addresses: each `server <address>` line of the
 * upstream in turn, the `listen 443` port, the certificate files. Throws if the page's
 * block no longer has exactly those lines, rather than test something else.
 */
export function localBlock(block: string, options: { upstreams: string[]; listen: string; certificate: string; key: string }): string {
  let upstreams = 0
  let listens = 0
  let certificates = 0
  const written = block.split('\n').map((line) => {
    let m = /^(\s*server\s+)[^\s;{]+:\d+(\b.*)$/.exec(line)
    if (m) return `${m[1]}${options.upstreams[upstreams++] ?? 'missing'}${m[2]}`
    m = /^(\s*listen\s+)443(\s.*)$/.exec(line)
    if (m) { listens++; return `${m[1]}${options.listen}${m[2]}` }
    m = /^(\s*ssl_certificate(_key)?\s+)\S+;(.*)$/.exec(line)
    if (m) { certificates++; return `${m[1]}${m[2] ? options.key : options.certificate};${m[3]}` }
    return line
  })
  if (upstreams !== options.upstreams.length || listens !== 1 || certificates !== 2) {
    throw new Error(`The nginx block in ${DEPLOY_DOC} has ${upstreams} upstream server line(s), ${listens} "listen 443" and ${certificates} ssl_certificate line(s); ` +
      `the bench expects ${options.upstreams.length}, 1 and 2. Update the page or bench/nginx.ts together.`)
  }
  return written.join('\n')
}

/** The main nginx.conf around the block: paths in `dir`, one worker, and the bench's upstream header. */
function mainConfig(dir: string, block: string): string {
  return `# Written by bench/nginx.ts. The upstream and server blocks below are docs/deploy.md's.
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    # Inherited by the documented server block, which sets no add_header of its own.
    add_header ${UPSTREAM_HEADER} $upstream_addr always;

${block}
}
`
}

function selfSignedCertificate(dir: string): { certificate: string; key: string } {
  const certificate = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=medianest-bench', '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1',
    '-keyout', key, '-out', certificate,
  ], { encoding: 'utf8' })
  if (made.status !== 0) throw new Error(`openssl could not make a self-signed certificate (${made.error?.message ?? made.stderr.trim()}); install it with \`apt-get install openssl\`.`)
  return { certificate, key }
}

/**
 * Starts nginx in the foreground (daemon off) with its files in a temporary folder of its
 * own (removed by stop()), listening on `host` (an address of this machine) and proxying
 * to `upstreams` ("127.0.0.1:3000"). Its certificate is self-signed: the caller's clients
 * must accept it (the bench sets NODE_TLS_REJECT_UNAUTHORIZED=0 for its loopback requests).
 */
export async function startNginx(options: { host: string; port: number; upstreams: string[] }): Promise<Nginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-nginx-'))
  // Run as root, nginx's workers drop to `nobody`: they must reach their temp folders in here.
  fs.chmodSync(dir, 0o755)
  const hostPart = options.host.includes(':') ? `[${options.host}]` : options.host
  const url = `https://${hostPart}:${options.port}`
  const errorLog = () => (fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : '')
  let child: ChildProcess | null = null
  let exited = false
  let gone: Promise<void> = Promise.resolve()

  const stop = async () => {
    if (child && !exited) {
      child.kill('SIGTERM')
      // Workers still finishing a request after 5 s are killed with their master.
      const timer = setTimeout(() => {
        for (const p of processTree(child!.pid!)) {
          try { process.kill(p.pid, 'SIGKILL') } catch { /* gone meanwhile */ }
        }
      }, 5000)
      await gone
      clearTimeout(timer)
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }

  try {
    const { certificate, key } = selfSignedCertificate(dir)
    const documented = documentedBlock()
    const block = localBlock(documented, { upstreams: options.upstreams, listen: `${hostPart}:${options.port}`, certificate, key })
    const written = block.split('\n')
    const changedLines = documented.split('\n').flatMap((line, i) => (line === written[i] ? [] : [{ documented: line, written: written[i] }]))
    const conf = path.join(dir, 'nginx.conf')
    fs.writeFileSync(conf, mainConfig(dir, block))
    const args = ['-e', path.join(dir, 'error.log'), '-p', dir, '-c', conf]

    const test = spawnSync(NGINX, [...args, '-t'], { encoding: 'utf8' })
    if (test.status !== 0) throw new Error(`nginx refuses the configuration ${conf}:\n${test.stderr.trim()}`)
    const version = /nginx\/([\d.]+)/.exec(spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr)?.[1] ?? '?'

    const started = spawn(NGINX, [...args, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] })
    child = started
    let stderr = ''
    started.stderr!.on('data', (d) => { stderr += d })
    gone = new Promise<void>((resolve) => started.on('exit', () => { exited = true; resolve() }))

    const until = performance.now() + 10_000
    for (;;) {
      if (exited) throw new Error(`nginx exited at start:\n${stderr}${errorLog()}`)
      if (await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false)) break
      if (performance.now() > until) throw new Error(`nginx did not answer ${url}/healthz with 200 within 10 s:\n${errorLog()}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return { url, version, block, changedLines, errorLog, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
