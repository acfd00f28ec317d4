// The account area: /account (profile), /account/password, /account/sessions and
// /account/tokens for the signed-in person, and the public /reset/<token> page.
// Each page is its own router; this file only mounts them behind the right guards.
import express, { type RequestHandler, type Router } from 'express'
import { Forbidden } from '../plugin-api.ts'
import { viewerOf } from '../http/request-context.ts'
import { profileRoutes } from './profile.ts'
import { passwordRoutes } from './password.ts'
import { sessionsPageRoutes } from './sessions-page.ts'
import { apiTokensPageRoutes } from './api-tokens-page.ts'
import { resetRoutes } from './reset.ts'
import type { AccountDeps } from './deps.ts'


/**
 * Account changes need a browser session. An API token may read pages, but a leaked
 * token must not mint more tokens, set a password or end the owner's sessions.
 */
const changesNeedASession: RequestHandler = (req, _res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD' || viewerOf(req)?.sessionId) return next()
  next(new Forbidden('Account settings can only be changed from a signed-in browser, not with an API token.'))
}

export function accountRoutes(deps: AccountDeps): Router {
  const router = express.Router()
  router.use(resetRoutes(deps))
  router.use(
    '/account',
    deps.requireUser,
    changesNeedASession,
    profileRoutes(deps),
    passwordRoutes(deps),
    sessionsPageRoutes(deps),
    apiTokensPageRoutes(deps),
  )
  return router
}
