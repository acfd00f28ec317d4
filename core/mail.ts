// Outgoing mail (ctx.mail and the core's own): a message becomes a row in mail_outbox and
// a durable job `core.mail` in one transaction, so a crash loses nothing and a retry sends
// nothing twice once sent. nodemailer speaks SMTP. What the server says decides: a 4xx
// (or a dropped connection) is tried again with the queue's backoff, a 5xx (a refused
// login, an unknown mailbox) fails at once, in the server's words, never with the password.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import nodemailer, { type Transporter } from 'nodemailer'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import { z } from 'zod'
import { clock } from './clock.ts'
import { durationMs, type Config } from './config.ts'
import type { JobQueue } from './jobs/queue.ts'
import type { Mail, MailMessage, MailQueued } from './plugin-api.ts'

export const MAIL_JOB = 'core.mail'
const ATTEMPTS = 5
const SUBJECT_MAX = 200
const BODY_MAX = 200_000
const HOUR_MS = 3_600_000

type MailConfig = NonNullable<Config['mail']>

/** Why this recipient cannot be written to, in words; null when it is one plain address. */
export function recipientProblem(to: unknown): string | null {
  if (typeof to !== 'string' || !to.trim()) return 'Give an address.'
  if (/[\r\n\0]/.test(to)) return 'An address has no line breaks.'
  if (/[<>",;]/.test(to) || /\s/.test(to.trim())) return 'Give one plain address (name@example.com), without a name or a second address.'
  if (to.length > 320 || !z.email().safeParse(to.trim()).success) return `"${to.slice(0, 80)}" is not an email address.`
  return null
}

/** A subject on one line, at most 200 characters. */
export function cleanSubject(subject: string): string {
  const flat = subject.replace(/[\r\n\t\0]+/g, ' ').replace(/\s+/g, ' ').trim()
  return flat.length > SUBJECT_MAX ? `${flat.slice(0, SUBJECT_MAX - 1)}…` : flat
}

interface Stored { text: string; html?: string; headers?: Record<string, string> }
interface OutboxRow { id: string; recipient: string; subject: string; message: Stored | string | null; status: string }

/** The SMTP side: one nodemailer transport made on first use, errors in words without the password. */
export class SmtpSender {
  private transport: Transporter | null = null
  constructor(private readonly mail: MailConfig, private readonly configDir: string) {}

  async send(message: { to: string; subject: string; text: string; html?: string; headers?: Record<string, string> }): Promise<void> {
    try {
      await this.transporter().sendMail({ from: this.mail.from, ...message })
    } catch (error) {
      throw Object.assign(new Error(this.words(error)), { responseCode: (error as { responseCode?: number }).responseCode })
    }
  }

  /** The server answers, speaks TLS as configured and takes the login. */
  async verify(): Promise<void> {
    try {
      await this.transporter().verify()
    } catch (error) {
      throw new Error(this.words(error))
    }
  }

  close(): void {
    this.transport?.close()
    this.transport = null
  }

  private transporter(): Transporter {
    if (!this.transport) {
      const m = this.mail
      const timeout = durationMs(m.timeout)
      const ca = m.ca ? fs.readFileSync(path.resolve(this.configDir, m.ca), 'utf8') : undefined
      this.transport = nodemailer.createTransport({
        host: m.host, port: m.port, secure: m.secure,
        // Without implicit TLS, STARTTLS is required: credentials never cross in the clear.
        requireTLS: !m.secure,
        auth: m.user ? { user: m.user, pass: m.password ?? '' } : undefined,
        connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout,
        tls: ca ? { ca } : undefined,
        disableFileAccess: true, disableUrlAccess: true,
      })
    }
    return this.transport
  }

  private words(error: unknown): string {
    let text = (error as Error)?.message ?? String(error)
    if (this.mail.password) text = text.split(this.mail.password).join('[redacted]')
    return text.replace(/\s+/g, ' ').slice(0, 1000)
  }
}

export interface MailServiceOptions { config: Config; db: Knex; queue: JobQueue; log: Logger }

export class MailService implements Mail {
  readonly configured: boolean
  private readonly mail: MailConfig | undefined
  private readonly smtp: SmtpSender | null

  constructor(private readonly options: MailServiceOptions) {
    this.mail = options.config.mail
    this.configured = !!this.mail
    this.smtp = this.mail ? new SmtpSender(this.mail, options.config.configDir) : null
  }

  async send(message: MailMessage): Promise<MailQueued> {
    const problem = recipientProblem(message.to)
    if (problem) throw new RangeError(`ctx.mail.send: ${problem}`)
    if (typeof message.text !== 'string' || !message.text.trim()) throw new RangeError('ctx.mail.send: a mail needs a text body.')
    if (!this.mail) return { queued: false, why: 'not-configured' }
    const recipient = message.to.trim().toLowerCase()
    const stored: Stored = { text: message.text.slice(0, BODY_MAX) }
    if (message.html) stored.html = message.html.slice(0, BODY_MAX)
    if (message.unsubscribeUrl) {
      if (!/^https?:\/\/[^\s<>]+$/.test(message.unsubscribeUrl)) throw new RangeError('ctx.mail.send: unsubscribeUrl is an http(s) address.')
      // No List-Unsubscribe-Post (RFC 8058 one-click): that promises a bare POST stops the
      // mail, with no page and no CSRF token, and a link-following scanner would stop it too.
      // The link opens a page that asks; a mail client shows "Unsubscribe" all the same.
      stored.headers = { 'List-Unsubscribe': `<${message.unsubscribeUrl}>` }
    }
    const limit = this.mail.perRecipientPerHour
    const write = async (trx: Knex.Transaction): Promise<MailQueued> => {
      // Counted under the recipient's lock: mails for one address at once take turns, so the limit holds.
      await trx.raw('select pg_advisory_xact_lock(hashtext(?), hashtext(?))', ['core:mail', recipient])
      const row = await trx('mail_outbox').where({ recipient }).where('created_at', '>', new Date(clock.nowMs() - HOUR_MS)).count({ n: '*' }).first() as { n: string | number }
      if (Number(row.n) >= limit) return { queued: false, why: 'rate-limited' }
      const id = crypto.randomUUID()
      await trx('mail_outbox').insert({ id, recipient, subject: cleanSubject(message.subject ?? ''), message: JSON.stringify(stored) })
      await this.options.queue.enqueue(MAIL_JOB, { id }, { trx })
      return { queued: true, id }
    }
    const result = message.trx ? await write(message.trx) : await this.options.db.transaction(write)
    if (!result.queued) this.options.log.warn(`mail: not sent to ${recipient}: ${limit} mails in the last hour already (mail.perRecipientPerHour)`)
    return result
  }

  addressProblem(to: string): string | null {
    return recipientProblem(to)
  }

  install(): void {
    this.options.queue.define(MAIL_JOB, {
      name: 'mail',
      timeout: `${Math.ceil((this.mail ? durationMs(this.mail.timeout) : 30_000) / 1000) + 10}s`,
      attempts: ATTEMPTS,
      concurrency: 2,
      payload: z.object({ id: z.uuid() }),
      run: ({ id }: { id: string }, job: { attempt: number }) => this.deliver(id, job.attempt),
      onFailed: async (failure) => {
        const id = (failure.payload as { id?: string } | undefined)?.id
        if (id) await failure.trx('mail_outbox').where({ id, status: 'queued' }).update({ status: 'failed', last_error: failure.error.slice(0, 1000) })
      },
    }, this.options.log)
  }

  close(): void {
    this.smtp?.close()
  }

  private async deliver(id: string, attempt: number): Promise<void> {
    const row = await this.options.db<OutboxRow>('mail_outbox').where({ id }).first()
    if (!row || row.status !== 'queued' || !row.message) return
    const stored = typeof row.message === 'string' ? JSON.parse(row.message) as Stored : row.message
    try {
      await this.smtp!.send({ to: row.recipient, subject: row.subject, text: stored.text, ...(stored.html ? { html: stored.html } : {}), headers: stored.headers })
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode
      const why = (error as Error).message
      // 5xx: the server will say the same next time (a refused login, no such mailbox).
      const final = (typeof code === 'number' && code >= 500) || attempt >= ATTEMPTS
      await this.options.db('mail_outbox').where({ id }).update({ status: final ? 'failed' : 'queued', attempts: attempt, last_error: why })
      this.options.log.warn(`mail to ${row.recipient} ${final ? 'failed' : `failed (attempt ${attempt}, trying again)`}: ${why}`)
      if (final) return
      throw new Error(why)
    }
    await this.options.db('mail_outbox').where({ id }).update({ status: 'sent', attempts: attempt, last_error: null, message: null, sent_at: clock.now() })
  }
}

