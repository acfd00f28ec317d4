// /admin/plex-auth: which server sign-in checks against, what to set up when nothing is,
// the last daily re-check and who lost access, and (for an owner signed in with Plex)
// the servers their account owns with each connection tested.
import type { Request, Response } from 'medianest/plugin-api'
import type { PlexAuthContext } from './plugin-config.ts'
import { configuredServer } from './access.ts'
import { lastRecheckAt } from './settings.ts'
import { latestChecks, recheckTokens } from './token-recheck.ts'
import { ownedServersOf } from './server-setup.ts'

export function adminRoutes(ctx: PlexAuthContext) {
  const router = ctx.http.router()

  const render = async (req: Request, res: Response, notice: string | null = null) => {
    const service = await configuredServer(ctx)
    const checks = await latestChecks(ctx.db)
    const lostRows = checks.filter((c) => c.outcome === 'revoked' || c.outcome === 'no-access' || c.outcome === 'unchecked')
    const users = lostRows.length ? await ctx.users.list({ ids: lostRows.map((c) => c.user_id) }) : []
    const byId = new Map(users.map((u) => [u.id, u]))
    await ctx.views.pageOrFragment(req, res, {
      page: 'plex-auth:admin', fragment: 'plex-auth:_admin', title: 'Plex sign-in',
      data: {
        notice,
        server: service ? { url: service.serviceUrl } : null,
        lastCheck: await lastRecheckAt(ctx.db),
        checked: checks.length,
        lost: lostRows.map((c) => ({ ...c, name: byId.get(c.user_id)?.name ?? byId.get(c.user_id)?.email ?? c.user_id })),
      },
    })
  }

  router.get('/', (req, res) => render(req, res))

  router.post('/recheck', async (req, res) => {
    const result = await recheckTokens(ctx, { signal: AbortSignal.timeout(120_000), log: ctx.log })
    await render(req, res, `Checked ${result.checked} Plex ${result.checked === 1 ? 'account' : 'accounts'}; ${result.lost} lost access.`)
  })

  router.get('/servers', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const servers = await ownedServersOf(ctx, viewer.id)
    await ctx.views.pageOrFragment(req, res, {
      page: 'plex-auth:servers', fragment: 'plex-auth:_servers', title: 'Your Plex servers',
      data: { servers: Array.isArray(servers) ? servers : [], linked: servers !== null, refused: servers === 'refused' },
    })
  })
  return router
}
