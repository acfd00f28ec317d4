// /forgot-password: a person resets their own password by email, when the install sends
// mail (config `mail`) and knows its own address (`publicUrl`: a link in a mail must not
// be built from a request's Host header). The page answers the same whatever the
// address: the lookup, the link and the mail happen in a job, so an address that has an
// account costs the request exactly what one without does. The link is the admin's kind
// (/reset/<token>, one hour, single use; a newer one replaces it), so one page uses both.
import express, { type Request, type Response, type Router } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import { z } from 'zod'
import { BadInput, type Mail } from '../plugin-api.ts'
import { parseInput } from '../http/parse-input.ts'
import { issueCode } from '../auth/one-time-codes.ts'
import { RESET_LIFETIME_MS, resetIdentifier } from '../auth/password-reset.ts'
import { findUserByEmail } from '../auth/users.ts'
import { requestLog } from '../http/request-context.ts'
import type { JobQueue } from '../jobs/queue.ts'
import type { ViewEngine } from '../views.ts'

export const RESET_MAIL_JOB = 'core.password-reset-mail'

export interface ForgotDeps {
  db: Knex
  views: ViewEngine
  log: Logger
  mail: Mail
  queue: JobQueue
  publicUrl: string | undefined
  /** Every request counts, per client address. */
  limit: express.RequestHandler
}

/** Whether people can ask for a reset link themselves. */
export const selfServiceReset = (deps: Pick<ForgotDeps, 'mail' | 'publicUrl'>) => deps.mail.configured && !!deps.publicUrl

const forgotBody = z.object({
  email: z.string().trim().min(1, 'Enter the email address you sign in with.').max(254, 'That is longer than any email address.')
    .pipe(z.email('Enter an email address, like name@example.com.')),
})

class NotSent extends Error {}

export function forgotRoutes(deps: ForgotDeps): Router {
  const router = express.Router()
  const render = async (req: Request, res: Response, form: { email?: string; fields?: Record<string, string> } = {}, status = 200) => {
    res.setHeader('Cache-Control', 'no-store')
    await deps.views.pageOrFragment(req, res, {
      page: 'auth/forgot', fragment: 'auth/_forgot-form', title: 'Forgot your password?', status,
      data: { available: selfServiceReset(deps), form: { email: '', fields: {}, ...form } },
    })
  }

  router.get('/forgot-password', (req, res) => render(req, res))

  router.post('/forgot-password', deps.limit, async (req, res) => {
    if (!selfServiceReset(deps)) return render(req, res, {}, 409)
    let email: string
    try {
      email = parseInput(forgotBody, req.body ?? {}).email.toLowerCase()
    } catch (error) {
      if (!(error instanceof BadInput)) throw error
      return render(req, res, { email: typeof req.body?.email === 'string' ? String(req.body.email).slice(0, 254) : '', fields: error.fields }, 422)
    }
    await deps.queue.enqueue(RESET_MAIL_JOB, { email })
    requestLog(req).info('password reset by email asked for', { ip: req.ip })
    if (req.get('HX-Request') === 'true') {
      res.setHeader('HX-Redirect', '/forgot-password/sent')
      return res.status(204).end()
    }
    res.redirect(303, '/forgot-password/sent')
  })

  router.get('/forgot-password/sent', async (req, res) => {
    await deps.views.pageOrFragment(req, res, { page: 'auth/forgot-sent', fragment: 'auth/_forgot-sent', title: 'Check your mail', data: {} })
  })

  deps.queue.define(RESET_MAIL_JOB, {
    name: 'password-reset-mail',
    timeout: '1m',
    attempts: 3,
    concurrency: 1,
    payload: z.object({ email: z.string().max(254) }),
    run: async ({ email }: { email: string }) => sendResetMail(deps, email),
  }, deps.log)

  return router
}

/** Only an active account with a password of its own gets a link; anyone else, nothing (and no one can tell). */
async function sendResetMail(deps: ForgotDeps, email: string): Promise<void> {
  if (!selfServiceReset(deps)) return
  const user = await findUserByEmail(deps.db, email)
  if (!user || user.status !== 'active' || !user.password_hash) return
  try {
    await deps.db.transaction(async (trx) => {
      // The new link and its mail commit together; a mail refused by the per-address
      // limit rolls the link back, so the one already in the inbox keeps working.
      const token = await issueCode(trx, resetIdentifier(user.id), RESET_LIFETIME_MS)
      const link = new URL(`/reset/${token}`, deps.publicUrl).toString()
      const data = { name: user.name ?? user.email, link, minutes: RESET_LIFETIME_MS / 60_000 }
      const sent = await deps.mail.send({
        trx, to: user.email, subject: 'Reset your MediaNest password',
        text: await deps.views.render('mail/password-reset-text', data),
        html: await deps.views.render('mail/password-reset', data),
      })
      if (!sent.queued) throw new NotSent(sent.why)
    })
  } catch (error) {
    if (!(error instanceof NotSent)) throw error
    deps.log.warn(`password reset mail for ${user.id} not sent: ${error.message}`)
  }
}
