// /account/password: change (or, for Plex-only accounts, set) the password. The
// current password is required when there is one; success ends every other session.
// This is also where the forced-change gate sends people.
import express, { type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import { BadInput, NotFound } from '../plugin-api.ts'
import { parseInput } from '../http/parse-input.ts'
import { requestLog, viewerOf } from '../http/request-context.ts'
import { createRateLimit } from '../http/rate-limit.ts'
import { wantsFragment } from '../views.ts'
import { audit } from '../auth/audit.ts'
import { setFlash, takeFlashKey } from '../http/flash.ts'
import { hashPassword, passwordProblem, verifyPassword, MAX_PASSWORD_LENGTH } from '../auth/passwords.ts'
import { revokeOtherSessions } from '../auth/sessions.ts'
import { findUserById, normalizeEmail, type UserRow } from '../auth/users.ts'
import type { AccountDeps } from './deps.ts'

/** Guessing the current password with a stolen session costs an Argon2 hash each: keep it slow. */
const ATTEMPTS_PER_WINDOW = 10
const WINDOW_MS = 15 * 60_000

const tooLong = `Use at most ${MAX_PASSWORD_LENGTH} characters.`
const passwordBody = z.object({
  current: z.string().max(MAX_PASSWORD_LENGTH, tooLong).default(''),
  password: z.string().min(1, 'Choose a new password.').max(MAX_PASSWORD_LENGTH, tooLong),
  confirm: z.string().max(MAX_PASSWORD_LENGTH, tooLong).default(''),
})

interface PasswordForm {
  error: string | null
  fields: Record<string, string>
  changed: boolean
  signedOut: number
}

export function passwordRoutes(deps: AccountDeps): Router {
  const { db, views } = deps
  const router = express.Router()
  const attemptLimit = createRateLimit({
    db, endpoint: 'account:password', limit: ATTEMPTS_PER_WINDOW, windowMs: WINDOW_MS,
    message: 'Too many password change attempts. Wait 15 minutes before trying again.',
  })

  const render = async (req: Request, res: Response, user: UserRow, form: Partial<PasswordForm>, status = 200) => {
    const full: PasswordForm = { error: null, fields: {}, changed: false, signedOut: 0, ...form }
    await views.pageOrFragment(req, res, {
      page: 'account/password', fragment: 'account/_password-form', title: 'Your password', status,
      data: {
        account: {
          hasPassword: Boolean(user.password_hash), forced: user.requires_password_change, role: user.role,
          // The owner made from the environment is finishing setup; nobody "asked" them.
          settingUp: user.requires_password_change && user.role === 'ADMIN' && deps.bootstrapAdminEmail !== null
            && user.email === normalizeEmail(deps.bootstrapAdminEmail),
        },
        minLength: user.role === 'ADMIN' ? 12 : 8,
        form: full,
      },
    })
  }

  const currentUser = async (req: Request): Promise<UserRow> => {
    const user = await findUserById(db, viewerOf(req)!.id)
    if (!user) throw new NotFound('Your account no longer exists.')
    return user
  }

  router.get('/password', async (req, res) => {
    const flash = /^changed:(\d{1,4})$/.exec(takeFlashKey(req, res, deps.cookies, 'account:password') ?? '')
    await render(req, res, await currentUser(req), { changed: Boolean(flash), signedOut: flash ? Math.min(1000, Number(flash[1])) : 0 })
  })

  router.post('/password', attemptLimit, async (req, res) => {
    const viewer = viewerOf(req)!
    const user = await currentUser(req)
    let body: z.output<typeof passwordBody>
    try {
      body = parseInput(passwordBody, req.body ?? {})
    } catch (error) {
      if (!(error instanceof BadInput)) throw error
      return render(req, res, user, { error: 'Your password was not changed. Please correct the fields below.', fields: error.fields }, 422)
    }

    const fields: Record<string, string> = {}
    if (user.password_hash && !(await verifyPassword(user.password_hash, body.current))) {
      fields.current = body.current ? 'That is not your current password.' : 'Enter your current password.'
    }
    const problem = await passwordProblem(body.password, user)
    if (problem) fields.password = problem
    // A temporary password "changed" to itself would clear the forced change while the
    // admin (or whoever read the environment) still knows it. The current password was
    // just verified, so comparing with it costs no second hash.
    else if (user.password_hash && !fields.current && body.password === body.current) {
      fields.password = 'Choose a password different from your current one.'
    }
    else if (body.confirm !== body.password) fields.confirm = 'The two new passwords do not match.'
    if (Object.keys(fields).length) {
      if (fields.current) audit(requestLog(req), 'password change refused (wrong current password)', { user: user.id, ip: req.ip })
      return render(req, res, user, { error: 'Your password was not changed. Please correct the fields below.', fields }, 422)
    }

    const hash = await hashPassword(body.password)
    const signedOut = await db.transaction(async (trx) => {
      await trx('users').where({ id: user.id }).update({ password_hash: hash, requires_password_change: false })
      return revokeOtherSessions(trx, user.id, viewer.sessionId)
    })
    audit(requestLog(req), user.password_hash ? 'password changed' : 'password set', { user: user.id, otherSessionsEnded: signedOut, ip: req.ip })
    if (wantsFragment(req)) {
      return render(req, res, { ...user, password_hash: hash, requires_password_change: false }, { changed: true, signedOut })
    }
    setFlash(res, deps.cookies, 'account:password', `changed:${signedOut}`)
    res.redirect(303, '/account/password')
  })

  return router
}
