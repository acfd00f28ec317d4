// /reset/<token>: the public page behind an admin-issued password reset link. The
// link works once and for an hour; using it sets the password, ends every session
// of the account and clears a pending forced change.
import express, { type ErrorRequestHandler, type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import { BadInput, TooManyRequests } from '../plugin-api.ts'
import { parseInput } from '../http/parse-input.ts'
import { requestLog, viewerOf } from '../http/request-context.ts'
import { audit } from '../auth/audit.ts'
import { setFlash } from '../http/flash.ts'
import { clearCookie, sessionCookieName } from '../auth/cookies.ts'
import { consumeCode, peekCode } from '../auth/one-time-codes.ts'
import { hashPassword, passwordProblem, MAX_PASSWORD_LENGTH } from '../auth/passwords.ts'
import { resetIdentifier } from '../auth/password-reset.ts'
import { revokeOtherSessions } from '../auth/sessions.ts'
import { findUserById, type UserRow } from '../auth/users.ts'
import type { AccountDeps } from './deps.ts'

const PREFIX = resetIdentifier('')
/** Tokens are 43 base64url characters; anything else is not worth a query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,128}$/
export const RESET_DONE_PATH = '/login'

const tooLong = `Use at most ${MAX_PASSWORD_LENGTH} characters.`
const resetBody = z.object({
  password: z.string().min(1, 'Choose a new password.').max(MAX_PASSWORD_LENGTH, tooLong),
  confirm: z.string().max(MAX_PASSWORD_LENGTH, tooLong).default(''),
})

class LinkUsedUp extends Error {}

export function resetRoutes(deps: AccountDeps): Router {
  const { db, views } = deps
  const router = express.Router()

  /** The account a live link belongs to, or null when the link is unknown, used or expired. */
  const accountFor = async (token: string): Promise<UserRow | null> => {
    if (!TOKEN_SHAPE.test(token)) return null
    const identifier = await peekCode(db, token, PREFIX)
    if (!identifier) return null
    return (await findUserById(db, identifier.slice(PREFIX.length))) ?? null
  }

  const renderDead = async (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store')
    await views.pageOrFragment(req, res, {
      page: 'auth/reset-expired', fragment: 'auth/_reset-expired', title: 'Link expired', status: 410, data: {},
    })
  }

  const renderForm = async (
    req: Request, res: Response, token: string, user: UserRow,
    form: { error?: string | null; fields?: Record<string, string> } = {}, status = 200,
  ) => {
    res.setHeader('Cache-Control', 'no-store')
    await views.pageOrFragment(req, res, {
      page: 'auth/reset', fragment: 'auth/_reset-form', title: 'Choose a new password', status,
      data: {
        action: `/reset/${token}`,
        email: user.email,
        minLength: user.role === 'ADMIN' ? 12 : 8,
        form: { error: null, fields: {}, ...form },
      },
    })
  }

  router.get('/reset/:token', async (req, res) => {
    const token = String(req.params.token)
    const user = await accountFor(token)
    if (!user) return renderDead(req, res)
    await renderForm(req, res, token, user)
  })

  // Refused by the limit: the form stays, with the wait in words.
  const resetRefused: ErrorRequestHandler = (error, req, res, next) => {
    if (!(error instanceof TooManyRequests)) return next(error)
    const token = String(req.params.token)
    void (async () => {
      const user = await accountFor(token)
      if (!user) return renderDead(req, res)
      res.setHeader('Retry-After', String(error.retryAfterSeconds))
      await renderForm(req, res, token, user, { error: error.message }, 429)
    })().catch(next)
  }

  router.post('/reset/:token', deps.resetLimit, async (req: Request, res: Response) => {
    const token = String(req.params.token)
    const user = await accountFor(token)
    if (!user) return renderDead(req, res)

    let body: z.output<typeof resetBody>
    try {
      body = parseInput(resetBody, req.body ?? {})
    } catch (error) {
      if (!(error instanceof BadInput)) throw error
      return renderForm(req, res, token, user, { error: 'Your password was not changed. Please correct the fields below.', fields: error.fields }, 422)
    }
    const problem = await passwordProblem(body.password, user)
    const fields: Record<string, string> = problem
      ? { password: problem }
      : body.confirm !== body.password ? { confirm: 'The two passwords do not match.' } : {}
    if (Object.keys(fields).length) {
      return renderForm(req, res, token, user, { error: 'Your password was not changed. Please correct the fields below.', fields }, 422)
    }

    const hash = await hashPassword(body.password)
    // Consuming the link and setting the password happen together: a second use of the
    // same link (even at the same moment) finds no row and changes nothing.
    const ended = await db.transaction(async (trx) => {
      const identifier = await consumeCode(trx, token, PREFIX)
      if (identifier !== resetIdentifier(user.id)) throw new LinkUsedUp()
      await trx('users').where({ id: user.id }).update({ password_hash: hash, requires_password_change: false })
      return revokeOtherSessions(trx, user.id, null)
    }).catch((error: unknown) => {
      if (error instanceof LinkUsedUp) return null
      throw error
    })
    if (ended === null) return renderDead(req, res)

    audit(requestLog(req), 'password reset', { user: user.id, sessionsEnded: ended, ip: req.ip })
    if (viewerOf(req)?.id === user.id) clearCookie(res, sessionCookieName(deps.cookies), deps.cookies)
    setFlash(res, deps.cookies, 'login', 'reset')
    if (req.get('HX-Request') === 'true') {
      res.setHeader('HX-Redirect', RESET_DONE_PATH)
      return res.status(204).end()
    }
    res.redirect(303, RESET_DONE_PATH)
  }, resetRefused)

  return router
}
