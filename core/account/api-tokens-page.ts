// /account/tokens: personal API tokens for scripts (`Authorization: Bearer mn_…`).
// A new token is shown once, in the answer to the form that created it: it is never
// put in a URL (so no redirect can carry it) and only its hash is kept.
import express, { type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import { BadInput, NotFound } from '../plugin-api.ts'
import { parseInput } from '../http/parse-input.ts'
import { requestLog, readerZone, viewerOf } from '../http/request-context.ts'
import { wantsFragment } from '../views.ts'
import { clock } from '../clock.ts'
import { audit } from '../auth/audit.ts'
import { createApiToken, listApiTokens, revokeApiToken } from '../auth/api-tokens.ts'
import { displayTime } from './display-time.ts'
import { setFlash, takeFlash } from '../http/flash.ts'
import { ALREADY_SENT, claimSubmission, newFormToken } from '../http/one-time-forms.ts'
import type { AccountDeps } from './deps.ts'

const DAY_MS = 24 * 3600_000
export const TOKEN_LIFETIME_DAYS = ['30', '90', '365'] as const
export const MAX_TOKEN_NAME_LENGTH = 100

const tokenBody = z.object({
  name: z.string().trim()
    .min(1, 'Give the token a name, so you know later what uses it.')
    .max(MAX_TOKEN_NAME_LENGTH, `Use at most ${MAX_TOKEN_NAME_LENGTH} characters for the name.`),
  lifetime: z.enum(TOKEN_LIFETIME_DAYS, 'Choose how long the token lasts: 30, 90 or 365 days.'),
})

const tokenId = z.guid()

const NOTICES = { revoked: 'The token was revoked; it no longer works.' } as const

interface TokenForm {
  name: string
  lifetime: string
  error: string | null
  fields: Record<string, string>
}

interface Created {
  name: string
  token: string
  expiresAt: ReturnType<typeof displayTime>
}

export function apiTokensPageRoutes(deps: AccountDeps): Router {
  const { db, views } = deps
  const router = express.Router()

  const render = async (
    req: Request, res: Response,
    options: { form?: Partial<TokenForm>; created?: Created; notice?: string | null; status?: number } = {},
  ) => {
    const viewer = viewerOf(req)!
    const zone = readerZone(req, deps.siteTimeZone)
    const now = clock.now()
    const tokens = (await listApiTokens(db, viewer.id)).map((t) => ({
      id: t.id,
      name: t.name,
      createdAt: displayTime(t.created_at, zone),
      lastUsedAt: displayTime(t.last_used_at, zone),
      expiresAt: displayTime(t.expires_at, zone),
      expired: t.expires_at <= now,
    }))
    if (options.created) res.setHeader('Cache-Control', 'no-store')
    await views.pageOrFragment(req, res, {
      page: 'account/tokens', fragment: 'account/_tokens', title: 'API tokens', status: options.status ?? 200,
      data: {
        tokens,
        lifetimes: TOKEN_LIFETIME_DAYS,
        created: options.created ?? null,
        notice: options.notice ?? null,
        form: { name: '', lifetime: '90', error: null, fields: {}, ...options.form, once: newFormToken() },
      },
    })
  }

  router.get('/tokens', async (req, res) => {
    await render(req, res, { notice: takeFlash(req, res, deps.cookies, 'account:tokens', NOTICES) })
  })

  router.post('/tokens', async (req, res) => {
    const viewer = viewerOf(req)!
    const echo = {
      name: String(req.body?.name ?? '').slice(0, MAX_TOKEN_NAME_LENGTH + 50),
      lifetime: String(req.body?.lifetime ?? ''),
    }
    let body: z.output<typeof tokenBody>
    try {
      body = parseInput(tokenBody, echo)
    } catch (error) {
      if (!(error instanceof BadInput)) throw error
      const lifetime = (TOKEN_LIFETIME_DAYS as readonly string[]).includes(echo.lifetime) ? echo.lifetime : '90'
      return render(req, res, {
        form: { ...echo, lifetime, error: 'No token was created. Please correct the fields below.', fields: error.fields },
        status: 422,
      })
    }
    if (await claimSubmission(db, viewer.id, 'account:tokens', req.body) === 'repeat') {
      return render(req, res, { notice: `${ALREADY_SENT} Your tokens are listed below.`, status: 409 })
    }
    const { token, row } = await createApiToken(db, viewer.id, body.name, Number(body.lifetime) * DAY_MS)
    audit(requestLog(req), 'api token created', { user: viewer.id, token: row.id, days: body.lifetime })
    // Answered directly (201), not redirected: the token may only appear in this one response.
    await render(req, res, { created: { name: row.name, token, expiresAt: displayTime(row.expires_at, readerZone(req, deps.siteTimeZone)) }, status: 201 })
  })

  router.post('/tokens/:id/revoke', async (req, res) => {
    const viewer = viewerOf(req)!
    const id = String(req.params.id)
    const missing = () => new NotFound('That API token does not exist or was already revoked.')
    if (!tokenId.safeParse(id).success) throw missing()
    if (!(await revokeApiToken(db, viewer.id, id))) throw missing()
    audit(requestLog(req), 'api token revoked', { user: viewer.id, token: id })
    if (wantsFragment(req)) return render(req, res, { notice: NOTICES.revoked })
    setFlash(res, deps.cookies, 'account:tokens', 'revoked')
    res.redirect(303, '/account/tokens')
  })

  return router
}
