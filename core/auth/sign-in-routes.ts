// /login, /logout and /setup. Local sign-in is passport-local without passport
// sessions: once a method vouches for a user, the core issues its own session.
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express'
import passport from 'passport'
import { Strategy as LocalStrategy } from 'passport-local'
import type { Knex } from 'knex'
import type { Logger } from 'winston'
import { z } from 'zod'
import { BadInput, NotFound, TooManyRequests, Unauthorized } from '../plugin-api.ts'
import { requestLog, sessionEnded, viewerOf } from '../http/request-context.ts'
import { takeFlash } from '../http/flash.ts'
import type { ViewEngine } from '../views.ts'
import type { PluginHost } from '../plugins/host.ts'
import { parseInput } from '../http/parse-input.ts'
import { audit } from './audit.ts'
import { clearCookie, sessionCookieName, type CookiePolicy } from './cookies.ts'
import type { SessionPolicy } from './sessions.ts'
import { sendTo, startSession } from './start-session.ts'
import { decoyHash, hashPassword, passwordProblem, verifyPassword, MAX_PASSWORD_LENGTH } from './passwords.ts'
import { findUserByEmail, normalizeEmail, adminExists, type UserRow } from './users.ts'
import { consumeCode } from './one-time-codes.ts'
import { safeNext } from './next-target.ts'
import { ENDED_NOTICE } from './ended-session.ts'
import type { SignedCookies } from './signed-cookie.ts'
import { takeLoginRefusal } from './login-refusal.ts'
import { grantSetup } from './setup-grant.ts'
import { peekCode } from './one-time-codes.ts'

export interface SignInDeps {
  /** auth.passwordLogin: who may use the password form. */
  passwordLogin: 'everyone' | 'admins' | 'off'
  db: Knex
  views: ViewEngine
  host: PluginHost
  log: Logger
  cookies: CookiePolicy
  sessionPolicy: SessionPolicy
  signed: SignedCookies
  loginLimit: SignInLimits
}

/** Built by signInLimits in core/accounts.ts, which states the policy. */
export interface SignInLimits {
  perIp: RequestHandler
  perAccountAndIp: RequestHandler
  perAccount: RequestHandler
  /** The setup and reset forms count on their own, never against sign-in. */
  setup: RequestHandler
  reset: RequestHandler
  /** Asking for a reset link by mail: every ask counts. */
  forgot: RequestHandler
}

const SAME_MESSAGE = 'That email and password do not match an account.'
/** Notices a redirect may leave for the sign-in page (a one-shot flash, by key). */
const NOTICES: Record<string, string> = {
  reset: 'Your password was changed. Sign in with the new one.',
  [ENDED_NOTICE]: 'Your session has ended. Sign in again.',
}

class SuspendedAccount extends Error {}

const loginBody = z.object({
  email: z.string().trim().min(1, 'Enter your email.').max(254, 'That email is too long.'),
  password: z.string().min(1, 'Enter your password.').max(MAX_PASSWORD_LENGTH, 'That password is too long.'),
  next: z.string().max(500).optional(),
})

const setupCodeBody = z.object({
  code: z.string().trim().min(1, 'Enter the setup code from the server log.').max(40, 'That is not a setup code.'),
})

const setupBody = z.object({
  code: z.string().trim().min(1, 'Enter the setup code from the server log.').max(40),
  email: z.email('Enter a valid email address.').max(254),
  name: z.string().trim().max(100).optional(),
  password: z.string().max(MAX_PASSWORD_LENGTH, 'That password is too long.'),
})

export function signInRoutes(deps: SignInDeps): Router {
  const { db, views, host, log } = deps
  const router = express.Router()
  /**
   * 'off' with no other way in would lock everyone out, admins included: then the form
   * stays for admins (and the log says why) until a plugin's sign-in is running.
   */
  const passwordLogin = () => (deps.passwordLogin === 'off' && host.signInMethods().length === 0 ? 'admins' : deps.passwordLogin)
  if (deps.passwordLogin === 'off' && host.signInMethods().length === 0) {
    log.warn('auth.passwordLogin is "off" but no plugin offers another way to sign in: admins may still use their password')
  }

  // An authenticator of this app's own: passport's default one is shared by the process,
  // and a second app in it (tests run several) would replace this one's strategy and db.
  const authenticator = new passport.Passport()
  authenticator.use('medianest-local', new LocalStrategy(
    { usernameField: 'email', passwordField: 'password', session: false },
    (email, password, done) => {
      void (async () => {
        const user = await findUserByEmail(db, email)
        // Unknown emails verify a decoy so both answers take the same time.
        const ok = await verifyPassword(user?.password_hash ?? (await decoyHash()), password)
        if (!user || !user.password_hash || !ok) return done(null, false)
        if (user.status !== 'active') return done(new SuspendedAccount())
        done(null, user)
      })().catch(done)
    },
  ))

  /** The plugins' buttons that are on offer now; one that throws is hidden, and logged. */
  const availableMethods = async () => {
    const methods = host.signInMethods()
    const shown = await Promise.all(methods.map(async (m) => {
      try {
        return m.available ? Boolean(await m.available()) : true
      } catch (error) {
        log.warn(`plugin "${m.plugin}": its sign-in method "${m.id}" could not say whether it is available, so it is hidden: ${(error as Error).message}`)
        return false
      }
    }))
    return methods.filter((_m, i) => shown[i])
  }

  const renderLogin = async (req: Request, res: Response, status = 200, form: Record<string, unknown> = {}, notice: string | null = null, refusal: string | null = null) => {
    const methods = await availableMethods()
    await views.pageOrFragment(req, res, {
      page: 'auth/login', fragment: 'auth/_login-form', title: 'Sign in', status,
      data: {
        form: { email: '', error: null, invalid: null, next: safeNext(req.query.next), ...form },
        notice,
        refusal,
        passwordLogin: passwordLogin(),
        methods: methods.map((m) => {
          const next = safeNext(form.next ?? req.query.next)
          return { label: m.label, href: next === '/' ? m.startPath : `${m.startPath}?next=${encodeURIComponent(next)}` }
        }),
        setupPending: !(await adminExists(db)),
      },
    })
  }

  router.get('/login', async (req, res) => {
    if (viewerOf(req)) return res.redirect(303, safeNext(req.query.next))
    const notice = sessionEnded(req) ? NOTICES[ENDED_NOTICE] : takeFlash(req, res, deps.cookies, 'login', NOTICES)
    await renderLogin(req, res, 200, {}, notice, takeLoginRefusal(req, res, deps.signed))
  })

  // Refused by a limit: the form stays, with the wait in words, so there is something to retry with.
  const loginRefused: ErrorRequestHandler = (error, req, res, next) => {
    if (!(error instanceof TooManyRequests)) return next(error)
    res.setHeader('Retry-After', String(error.retryAfterSeconds))
    renderLogin(req, res, 429, { email: String(req.body?.email ?? '').slice(0, 254), error: error.message, next: safeNext(req.body?.next) }).catch(next)
  }

  router.post('/login', deps.loginLimit.perIp, deps.loginLimit.perAccountAndIp, deps.loginLimit.perAccount, async (req: Request, res: Response, next: NextFunction) => {
    if (passwordLogin() === 'off') {
      return renderLogin(req, res, 403, { error: 'Signing in with a password is turned off here. Use one of the sign-in buttons.', next: safeNext(req.body?.next) })
    }
    let body: z.output<typeof loginBody>
    try {
      body = parseInput(loginBody, req.body)
    } catch (error) {
      const invalid = ['email', 'password'].find((n) => (error as BadInput).fields?.[n]) ?? null
      return renderLogin(req, res, 422, { email: String(req.body?.email ?? '').slice(0, 254), error: (error as BadInput).message, invalid, next: safeNext(req.body?.next) })
    }
    authenticator.authenticate('medianest-local', { session: false }, (error: unknown, user: UserRow | false) => {
      void (async () => {
        const email = normalizeEmail(body.email)
        if (error instanceof SuspendedAccount) {
          audit(requestLog(req), 'sign-in refused (suspended)', { email, ip: req.ip })
          return renderLogin(req, res, 403, { email, error: 'This account is suspended. Ask an admin to reactivate it.', next: safeNext(body.next) })
        }
        if (error) throw error
        if (!user) {
          audit(requestLog(req), 'sign-in failed', { email, ip: req.ip })
          return renderLogin(req, res, 401, { email, error: SAME_MESSAGE, invalid: 'password', next: safeNext(body.next) })
        }
        if (passwordLogin() === 'admins' && user.role !== 'ADMIN') {
          audit(requestLog(req), 'sign-in refused (password sign-in is for admins)', { user: user.id, ip: req.ip })
          const other = host.signInMethods()[0]?.label ?? 'another sign-in method'
          return renderLogin(req, res, 403, { email, error: `Here, only admins sign in with a password. Use “${other}” instead.`, next: safeNext(body.next) })
        }
        await startSession(deps, req, res, user)
        audit(requestLog(req), 'sign-in', { user: user.id, method: 'password', ip: req.ip })
        sendTo(req, res, user.requires_password_change ? '/account/password' : safeNext(body.next))
      })().catch(next)
    })(req, res, next)
  }, loginRefused)

  router.post('/logout', async (req, res) => {
    const viewer = viewerOf(req)
    if (viewer?.sessionId) {
      await db('sessions').where({ id: viewer.sessionId }).del()
      audit(requestLog(req), 'sign-out', { user: viewer.id })
    }
    clearCookie(res, sessionCookieName(deps.cookies), deps.cookies)
    if (req.get('HX-Request') === 'true') {
      res.setHeader('HX-Redirect', '/login')
      return res.status(204).end()
    }
    res.redirect(303, '/login')
  })

  const setupMethods = () => host.signInMethods().filter((m) => m.setupPath)
  const renderSetup = async (req: Request, res: Response, status = 200, form: Record<string, unknown> = {}) => {
    await views.pageOrFragment(req, res, {
      page: 'auth/setup', fragment: 'auth/_setup-form', title: 'Set up MediaNest', status,
      data: { form: { email: '', name: '', error: null, fields: {}, ...form }, methods: setupMethods().map((m) => ({ id: m.id, label: m.label, error: null })) },
    })
  }

  const setupOpen: RequestHandler = async (_req, _res, next) => {
    if (await adminExists(db)) return next(new NotFound())
    next()
  }

  const setupRefused: ErrorRequestHandler = (error, req, res, next) => {
    if (!(error instanceof TooManyRequests)) return next(error)
    res.setHeader('Retry-After', String(error.retryAfterSeconds))
    const echo = { email: String(req.body?.email ?? '').slice(0, 254), name: String(req.body?.name ?? '').slice(0, 100) }
    renderSetup(req, res, 429, { ...echo, error: error.message }).catch(next)
  }

  router.get('/setup', setupOpen, async (req, res) => renderSetup(req, res))

  // Owner-first setup through a plugin's sign-in: the code is checked (not used up) here,
  // and this browser gets a grant for it; the plugin's sign-in uses it up.
  const renderSetupWith = async (req: Request, res: Response, methodId: string, status: number, error: string) => {
    await views.pageOrFragment(req, res, {
      page: 'auth/setup', fragment: 'auth/_setup-with-form', title: 'Set up MediaNest', status,
      data: {
        form: { email: '', name: '', error: null, fields: {} },
        methods: setupMethods().map((m) => ({ id: m.id, label: m.label, error: m.id === methodId ? error : null })),
        method: { id: methodId, label: setupMethods().find((m) => m.id === methodId)?.label ?? '', error },
      },
    })
  }
  const setupWithRefused: ErrorRequestHandler = (error, req, res, next) => {
    if (!(error instanceof TooManyRequests)) return next(error)
    res.setHeader('Retry-After', String(error.retryAfterSeconds))
    renderSetupWith(req, res, String(req.params.method), 429, error.message).catch(next)
  }

  router.post('/setup/with/:method', deps.loginLimit.setup, setupOpen, async (req: Request, res: Response) => {
    const method = setupMethods().find((m) => m.id === req.params.method)
    if (!method) throw new NotFound('There is no such way to set MediaNest up.')
    let body: z.output<typeof setupCodeBody>
    try {
      body = parseInput(setupCodeBody, req.body)
    } catch (error) {
      return renderSetupWith(req, res, method.id, 422, (error as BadInput).message)
    }
    const code = body.code.toUpperCase()
    if (!(await peekCode(db, code, 'setup'))) {
      audit(requestLog(req), 'setup refused (bad code)', { ip: req.ip, method: method.id })
      return renderSetupWith(req, res, method.id, 401, 'That setup code is wrong, was already used, or has expired. Restart the server for a new one.')
    }
    grantSetup(res, deps.signed, code)
    audit(requestLog(req), 'setup code accepted for a sign-in plugin', { ip: req.ip, method: method.id, plugin: method.plugin })
    sendTo(req, res, method.setupPath!)
  }, setupWithRefused)

  router.post('/setup', deps.loginLimit.setup, setupOpen, async (req: Request, res: Response) => {
    let body: z.output<typeof setupBody>
    const echo = { email: String(req.body?.email ?? '').slice(0, 254), name: String(req.body?.name ?? '').slice(0, 100) }
    try {
      body = parseInput(setupBody, req.body)
    } catch (error) {
      return renderSetup(req, res, 422, { ...echo, error: (error as BadInput).message, fields: (error as BadInput).fields })
    }
    const problem = await passwordProblem(body.password, { role: 'ADMIN', email: body.email, name: body.name })
    if (problem) return renderSetup(req, res, 422, { ...echo, error: problem, fields: { password: problem } })
    const email = normalizeEmail(body.email)
    const passwordHash = await hashPassword(body.password)
    // The code is consumed and the admin created in one transaction: a wrong code,
    // a race with another setup, or a failed insert changes nothing.
    const user = await db.transaction(async (trx) => {
      const used = await consumeCode(trx, body.code.toUpperCase(), 'setup')
      if (!used) throw new Unauthorized('That setup code is wrong, was already used, or has expired. Restart the server for a new one.')
      if (await adminExists(trx)) throw new NotFound()
      const [row] = await trx<UserRow>('users').insert({
        email, name: body.name || null, role: 'ADMIN', password_hash: passwordHash,
      }).returning('*')
      return row
    }).catch(async (error: unknown) => {
      if (error instanceof Unauthorized) {
        audit(requestLog(req), 'setup refused (bad code)', { ip: req.ip })
        await renderSetup(req, res, 401, { ...echo, error: error.message, fields: { code: error.message } })
        return null
      }
      throw error
    })
    if (!user) return
    audit(log, 'first admin created', { user: user.id })
    await startSession(deps, req, res, user)
    // The first admin goes on to what this install needs next.
    sendTo(req, res, '/admin/guide')
  }, setupRefused)

  return router
}

