// /admin/plex-auth: which server sign-in checks against, what to set up when nothing is,
// the last daily re-check and who lost access, and (for an owner signed in with Plex)
// the servers their account owns with each connection tested, one to pick and save.
import { z, type Request, type Response } from 'medianest/plugin-api'
import type { PlexAuthContext } from './plugin-config.ts'
import { configuredServer, PLEX_SERVICE } from './access.ts'
import { lastRecheckAt } from './settings.ts'
import { latestChecks, recheckTokens } from './token-recheck.ts'
import { ownedServersOf, plexTokenOf } from './server-setup.ts'

const NOTICES = { saved: 'Saved: Plex sign-in now checks against this server, and the “Sign in with Plex” button shows on the sign-in page.' }
const choice = z.object({
  server: z.string().min(1, 'Pick a server.').max(200),
  uri: z.string().min(1, 'Pick one of the server’s addresses.').max(2000),
})

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
        lastCheck: await lastRecheckAt(ctx.db).then((at) => (at ? { iso: at.toISOString(), text: ctx.http.formatDate(req, at) } : null)),
        checked: checks.length,
        lost: lostRows.map((c) => ({ ...c, name: byId.get(c.user_id)?.name ?? byId.get(c.user_id)?.email ?? c.user_id, checked: { iso: c.checked_at.toISOString(), text: ctx.http.formatDate(req, c.checked_at) } })),
      },
    })
  }

  router.get('/', (req, res) => render(req, res, ctx.http.takeFlash(req, res, NOTICES)))

  router.post('/recheck', async (req, res) => {
    const result = await recheckTokens(ctx, { signal: AbortSignal.timeout(120_000), log: ctx.log })
    await render(req, res, `Checked ${result.checked} Plex ${result.checked === 1 ? 'account' : 'accounts'}; ${result.lost} lost access.`)
  })

  const renderServers = async (req: Request, res: Response, status = 200, error: { server?: string; message: string } | null = null) => {
    const servers = await ownedServersOf(ctx, ctx.http.mustViewer(req).id)
    await ctx.views.pageOrFragment(req, res, {
      page: 'plex-auth:servers', fragment: 'plex-auth:_servers', title: 'Your Plex servers', status,
      data: {
        servers: Array.isArray(servers) ? servers : [], linked: servers !== null, refused: servers === 'refused',
        current: (await configuredServer(ctx))?.serviceUrl ?? null, error,
      },
    })
  }

  router.get('/servers', (req, res) => renderServers(req, res))

  // The owner's pick: saved only if, asked again now, that address answers as that
  // server, which this Plex account owns. The owner's token becomes the service's key.
  router.post('/servers', async (req, res) => {
    const viewer = ctx.http.mustViewer(req)
    const form = ctx.http.validate(choice, req.body)
    if (!form.ok) return renderServers(req, res, 422, { server: String(req.body?.server ?? ''), message: Object.values(form.fields)[0] ?? form.message })
    const servers = await ownedServersOf(ctx, viewer.id)
    const token = await plexTokenOf(ctx, viewer.id)
    if (!Array.isArray(servers) || !token) {
      return renderServers(req, res, 422, { message: 'Only the server’s owner, signed in with Plex, can pick a server here.' })
    }
    const server = servers.find((s) => s.machineIdentifier === form.data.server)
    const connection = server?.connections.find((c) => c.uri === form.data.uri)
    if (!server || !connection) return renderServers(req, res, 422, { server: form.data.server, message: 'That address is not one of your servers’ addresses. Pick one from the list.' })
    if (!connection.ok) return renderServers(req, res, 422, { server: server.machineIdentifier, message: `MediaNest cannot use ${connection.uri}: it ${connection.message}. Pick an address that answered.` })
    await ctx.services.save(PLEX_SERVICE, { url: connection.uri, apiKey: token, enabled: true }, { actorId: viewer.id })
    ctx.log.info(`the owner picked the Plex server "${server.name}" at ${connection.uri}`, { user: viewer.id })
    ctx.http.flash(res, 'saved')
    ctx.http.sendTo(req, res, '/admin/plex-auth')
  })
  return router
}
