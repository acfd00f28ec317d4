// Sign in with Plex (the PIN flow): /plex-auth/start asks plex.tv for a strong PIN and
// sends the browser to Plex; Plex sends it back to /plex-auth/callback, which is also
// the "waiting for Plex…" page: with JavaScript it asks again every 2 s (an htmx poll
// of the same URL), without it a button does. Every refusal goes back to /login with
// the reason in words (logged with the request id) and leaves no user or account row.
// /plex-auth/setup is the owner-first path: the core sends the browser there once the
// setup code was entered, and the owner's sign-in then makes the first admin.
import { UpstreamError, type Request, type Response } from 'medianest/plugin-api'
import type { PlexAuthContext } from './plugin-config.ts'
import { createPlexTvClient } from './plex-tv-client.ts'
import { clientIdentifier } from './settings.ts'
import { claimPin, forgetPin, pinOf, rememberPin } from './pins.ts'
import { configuredServer, NOT_SET_UP } from './access.ts'
import { refusalVerdict, upstreamVerdict, vouchFor, type Refusal } from './sign-in.ts'

const PIN_GONE = 'This Plex sign-in has expired, or was started in another browser. Start again with “Sign in with Plex”.'
const PIN_EXPIRED = 'The Plex sign-in code expired before Plex confirmed it. Start again with “Sign in with Plex”.'
const NOT_YET = 'Plex has not confirmed your sign-in yet. Finish it at Plex, then press the button again.'
/** Longest we keep a PIN, whatever plex.tv says (a strong PIN lives 30 minutes). */
const MAX_PIN_MS = 60 * 60 * 1000

const SETUP_FIRST = 'Setting MediaNest up with Plex starts on the setup page, with the setup code from the server log.'
/** Where the owner picks the server after the setup sign-in. */
export const SERVERS_PAGE = '/admin/plex-auth/servers'

type WaitState = { state: 'pending'; note?: string }

export function signInRoutes(ctx: PlexAuthContext) {
  const router = ctx.http.router()
  const plexTv = async () => createPlexTvClient(ctx, await clientIdentifier(ctx.db))

  const render = async (req: Request, res: Response, view: WaitState, status = 200) => {
    res.setHeader('Cache-Control', 'no-store')
    await ctx.views.pageOrFragment(req, res, {
      page: 'plex-auth:wait', fragment: 'plex-auth:_wait', title: 'Sign in with Plex', status,
      data: { wait: view },
    })
  }
  const refuse = (req: Request, res: Response, { status, message, cause }: Omit<Refusal, 'ok'>, next?: string) => {
    // The reason and the correlation id, never the token (none of these messages carry it).
    const why = cause instanceof UpstreamError ? `${cause.service}: ${cause.why} (${cause.url})` : message
    ctx.log.warn(`Plex sign-in refused (${status}): ${why}`, { requestId: res.getHeader('X-Request-Id') })
    ctx.identity.refuse(req, res, message, { next })
  }

  const begin = async (req: Request, res: Response, next: string) => {
    let pin
    try {
      pin = await (await plexTv()).createPin()
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error
      return refuse(req, res, upstreamVerdict(error), next)
    }
    const now = ctx.clock.nowMs()
    const said = pin.expiresAt ? Date.parse(pin.expiresAt) : now + (pin.expiresIn ?? 1800) * 1000
    const expiresAt = new Date(Math.min(Number.isFinite(said) ? said : now + 1_800_000, now + MAX_PIN_MS))
    await rememberPin(ctx.db, req, res, { id: pin.id, code: pin.code, expiresAt, next }, new Date(now))
    // Without publicUrl the return address is this request's own: never kept by a cache
    // and handed to another browser (a cache keyed without Host would spread a forged one).
    res.setHeader('Cache-Control', 'no-store')
    res.redirect(303, plexAuthAddress(ctx, req, await clientIdentifier(ctx.db), pin.code))
  }

  router.get('/start', async (req, res) => {
    const next = typeof req.query.next === 'string' ? req.query.next.slice(0, 500) : '/'
    if (ctx.http.viewer(req)) return res.redirect(303, '/')
    if (!(await configuredServer(ctx))) return refuse(req, res, { status: 503, message: NOT_SET_UP })
    await begin(req, res, next)
  })

  router.get('/setup', async (req, res) => {
    if (!(await ctx.identity.setupGrant(req))) return refuse(req, res, { status: 403, message: SETUP_FIRST })
    await begin(req, res, SERVERS_PAGE)
  })

  // One handler for Plex's return, the poll (htmx, same URL) and the no-JS button.
  const progress = async (req: Request, res: Response, pressed: boolean) => {
    const pin = await pinOf(ctx.db, req, ctx.clock.now())
    if (!pin) return refuse(req, res, { status: 410, message: PIN_GONE })
    const back = pin.next === SERVERS_PAGE ? undefined : pin.next
    const client = await plexTv()
    let read
    try {
      read = await client.readPin(pin.pin_id)
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error
      return refuse(req, res, upstreamVerdict(error), back)
    }
    if (read === 'expired') {
      await forgetPin(ctx.db, req, res)
      return refuse(req, res, { status: 410, message: PIN_EXPIRED }, back)
    }
    if (!read.authToken) return render(req, res, { state: 'pending', note: pressed ? NOT_YET : undefined })
    // Only one request of this browser finishes with the PIN; a second poll keeps waiting.
    if (!(await claimPin(ctx.db, pin))) return render(req, res, { state: 'pending' })
    await forgetPin(ctx.db, req, res)

    // A browser holding the setup code's grant is the owner setting MediaNest up.
    const setup = await ctx.identity.setupGrant(req)
    const verdict = await vouchFor(ctx, client, read.authToken, { setup })
    if (!verdict.ok) return refuse(req, res, verdict, back)
    try {
      const { user } = await ctx.identity.linkOrCreate(verdict.account, setup ? { setup: req } : {})
      await ctx.identity.signIn(req, res, user.id, { method: 'plex', next: setup ? SERVERS_PAGE : back })
    } catch (error) {
      const refused = refusalVerdict(error)
      if (!refused) throw error
      return refuse(req, res, refused, back)
    }
  }

  router.get('/callback', (req, res) => progress(req, res, false))
  router.post('/callback', (req, res) => progress(req, res, true))
  return router
}

/** app.plex.tv reads its parameters from the fragment, not a query string (CONTRACTS.md). */
function plexAuthAddress(ctx: PlexAuthContext, req: Request, clientId: string, code: string): string {
  // The configured address (this plugin's, else the site's); only without one, the address this browser used.
  const origin = (ctx.config.publicUrl ?? ctx.http.absoluteUrl('/') ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '')
  const e = encodeURIComponent
  return `${ctx.config.plexAuthUrl}#?clientID=${e(clientId)}&code=${e(code)}&forwardUrl=${e(`${origin}/plex-auth/callback`)}`
    + `&context%5Bdevice%5D%5Bproduct%5D=${e(ctx.config.productName)}`
}
