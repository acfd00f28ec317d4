// A loopback SMTP server (the smtp-server package) as a mail provider runs one: STARTTLS
// with a certificate from a test CA, AUTH required (PLAIN and LOGIN), and on command the
// failures real servers have: a refused login (535), a temporary refusal (451, try
// again), a permanent one (550), a connection dropped in the middle of a message.
import { simpleParser } from 'mailparser'
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server'
import type { AddressInfo } from 'node:net'
import fs from 'node:fs'
import { makeTestCa } from '../plugins/monitor/test-ca.ts'
import { freePort } from './ports.ts'

export interface ReceivedMail { from: string; to: string[]; raw: string; user: string | undefined; secure: boolean }
type Trouble = { kind: 'temporary' | 'permanent' | 'drop'; times: number }

export interface FakeSmtp {
  host: string
  port: number
  user: string
  password: string
  /** The CA file that signed its certificate (config `mail.ca`). */
  caFile: string
  received: ReceivedMail[]
  /** The next `times` messages: 451 (try again), 550 (refused), or the connection dropped mid-message. */
  trouble(kind: Trouble['kind'], times?: number): void
  close(): Promise<void>
}

export async function startFakeSmtp(): Promise<FakeSmtp> {
  const ca = makeTestCa()
  const leaf = ca.issue({ name: 'localhost', san: 'DNS:localhost,IP:127.0.0.1', until: new Date(Date.now() + 86_400_000) })
  const user = 'medianest@example.com'
  const password = 'smtp-pass-7f3e9a1c'
  const received: ReceivedMail[] = []
  let trouble: Trouble | null = null
  const server: SMTPServer = new SMTPServer({
    secure: false,
    key: fs.readFileSync(leaf.key),
    cert: fs.readFileSync(leaf.cert),
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    // Like a provider: no AUTH before STARTTLS.
    allowInsecureAuth: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user })
      return callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }))
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = []
      const now = trouble && trouble.times > 0 ? trouble : null
      if (now) now.times -= 1
      stream.on('data', (c: Buffer) => {
        chunks.push(c)
        if (now?.kind === 'drop') {
          // Half a message, then the line goes dead.
          for (const c of (server as unknown as { connections: Set<{ _socket: { destroy(): void } }> }).connections) c._socket.destroy()
        }
      })
      stream.on('end', () => {
        if (now?.kind === 'temporary') return callback(Object.assign(new Error('4.2.1 Mailbox busy, try again later'), { responseCode: 451 }))
        if (now?.kind === 'permanent') return callback(Object.assign(new Error('5.1.1 No such mailbox here'), { responseCode: 550 }))
        if (now?.kind === 'drop') return
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
          secure: session.secure,
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port
  return {
    host: 'localhost', port, user, password, caFile: ca.caFile, received,
    trouble(kind, times = 1) { trouble = { kind, times } },
    close: () => new Promise<void>((resolve) => server.close(() => { fs.rmSync(ca.dir, { recursive: true, force: true }); resolve() })),
  }
}

/** The config `mail` section that points MediaNest at this server (trusting its test CA). */
export function mailSettings(smtp: FakeSmtp, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { host: smtp.host, port: smtp.port, user: smtp.user, password: smtp.password, from: 'media@example.com', ca: smtp.caFile, ...extra }
}

/**
 * The config of a site that mails through this server and whose links a browser follows:
 * a port of its own with publicUrl at it (a form posted from another origin is refused,
 * CSRF), and `mail` pointed here.
 */
export async function mailingSite(smtp: FakeSmtp): Promise<Record<string, unknown>> {
  const port = await freePort()
  return { port, publicUrl: `http://127.0.0.1:${port}`, mail: mailSettings(smtp) }
}

/** A received mail decoded (quoted-printable, base64, encoded words): what a mail client would show. */
export async function readMail(mail: ReceivedMail): Promise<{ subject: string; text: string; html: string; header(name: string): string }> {
  const parsed = await simpleParser(mail.raw)
  return {
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : '',
    header: (name) => {
      const line = parsed.headerLines.find((h) => h.key === name.toLowerCase())
      return line ? line.line.slice(line.line.indexOf(':') + 1).trim() : ''
    },
  }
}
