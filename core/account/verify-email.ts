// Proving an address: from /account a person with an unconfirmed address asks for a
// link; /verify-email/<token> (24 hours, once, for that account and that address) sets
// users.email_verified. Like the reset by email, it needs mail and publicUrl.
import express, { type Request, type RequestHandler, type Response, type Router } from 'express'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import { Forbidden, type Mail } from '../plugin-api.ts'
import { consumeCode, issueCode } from '../auth/one-time-codes.ts'
import { findUserById } from '../auth/users.ts'
import { setFlash } from '../http/flash.ts'
import { viewerOf } from '../http/request-context.ts'
import type { CookiePolicy } from '../auth/cookies.ts'
import type { ViewEngine } from '../views.ts'

const PREFIX = 'verify:'
const LIFETIME_MS = 24 * 3600_000
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,128}$/
export const VERIFY_NOTICES = {
  'verify-sent': 'We mailed you a link to confirm your address. It works once, for 24 hours.',
  'verify-limited': 'Your address got too many mails this hour: try again later.',
  'verify-unavailable': 'This server does not send mail, so it cannot confirm your address.',
  'verify-already': 'Your address is confirmed already.',
} as const

export interface VerifyDeps {
  db: Knex
  views: ViewEngine
  log: Logger
  mail: Mail
  publicUrl: string | undefined
  cookies: CookiePolicy
  requireUser: RequestHandler
}

const identifierOf = (userId: string, email: string) => `${PREFIX}${userId}:${email}`
class NotSent extends Error {}

export function verifyEmailRoutes(deps: VerifyDeps): Router {
  const router = express.Router()
  const back = (res: Response, notice: keyof typeof VERIFY_NOTICES) => {
    setFlash(res, deps.cookies, 'account:verify', notice)
    res.redirect(303, '/account')
  }

  router.post('/account/verify-email', deps.requireUser, async (req: Request, res: Response) => {
    const viewer = viewerOf(req)!
    if (!viewer.sessionId) throw new Forbidden('Account settings can only be changed from a signed-in browser, not with an API token.')
    const user = await findUserById(deps.db, viewer.id)
    if (!user) return back(res, 'verify-unavailable')
    if (user.email_verified) return back(res, 'verify-already')
    if (!deps.mail.configured || !deps.publicUrl) return back(res, 'verify-unavailable')
    try {
      await deps.db.transaction(async (trx) => {
        const token = await issueCode(trx, identifierOf(user.id, user.email), LIFETIME_MS)
        const data = { name: user.name ?? user.email, link: new URL(`/verify-email/${token}`, deps.publicUrl).toString() }
        const sent = await deps.mail.send({
          trx, to: user.email, subject: 'Confirm your email address for MediaNest',
          text: await deps.views.render('mail/verify-email-text', data), html: await deps.views.render('mail/verify-email', data),
        })
        if (!sent.queued) throw new NotSent()
      })
    } catch (error) {
      if (error instanceof NotSent) return back(res, 'verify-limited')
      throw error
    }
    back(res, 'verify-sent')
  })

  router.get('/verify-email/:token', async (req, res) => {
    const token = String(req.params.token)
    let verified = false
    if (TOKEN_SHAPE.test(token)) {
      verified = await deps.db.transaction(async (trx) => {
        const identifier = await consumeCode(trx, token, PREFIX)
        const m = identifier ? /^verify:([0-9a-f-]{36}):(.+)$/.exec(identifier) : null
        if (!m) return false
        // Only while the account still has the address the link was mailed to.
        return (await trx('users').where({ id: m[1], email: m[2] }).update({ email_verified: true })) > 0
      })
    }
    res.setHeader('Cache-Control', 'no-store')
    await deps.views.pageOrFragment(req, res, {
      page: 'account/verified', fragment: 'account/_verified', title: verified ? 'Address confirmed' : 'Link expired', status: verified ? 200 : 410, data: { verified },
    })
  })

  return router
}
