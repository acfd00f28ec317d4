// The daily re-check: every stored Plex token is asked again whether plex.tv still
// accepts it and whether it still reaches the configured server. A revoked token or lost
// access ends that person's Plex sessions (their other sessions stay), is logged, and is
// kept in plex_auth_checks for /admin/plex-auth. A plex.tv or server outage ends nobody's
// session: it is recorded as "could not check" and tried again next time.
import { UpstreamError, type Knex, type Logger } from 'medianest/plugin-api'
import type { PlexAuthContext } from './plugin-config.ts'
import { createPlexTvClient } from './plex-tv-client.ts'
import { clientIdentifier, recordRecheck } from './settings.ts'
import { accessTo, configuredServer, machineIdentifier } from './access.ts'

export type Outcome = 'ok' | 'revoked' | 'no-access' | 'unchecked'

export interface CheckRow { user_id: string; plex_id: string; outcome: Outcome; reason: string | null; checked_at: Date }

export const ACCESS_LOST = 'plex-auth.access.lost'

export async function recheckTokens(ctx: PlexAuthContext, { signal, log }: { signal: AbortSignal; log: Logger }): Promise<{ checked: number; lost: number }> {
  const plexTv = createPlexTvClient(ctx, await clientIdentifier(ctx.db))
  const service = await configuredServer(ctx)
  let machineId: string | null = null
  let serverProblem: string | null = null
  if (service) {
    try {
      machineId = await machineIdentifier(ctx, service, signal)
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error
      serverProblem = `the Plex server could not be asked (${error.why})`
    }
  }
  let checked = 0
  let lost = 0
  for (const account of await ctx.identity.accounts('plex')) {
    if (signal.aborted) break
    const verdict = await checkOne(ctx, plexTv, account.providerAccountId, machineId, serverProblem, signal)
    const previous = await ctx.db<CheckRow>('plex_auth_checks').where({ user_id: account.userId }).first()
    await saveCheck(ctx.db, { user_id: account.userId, plex_id: account.providerAccountId, outcome: verdict.outcome, reason: verdict.reason, checked_at: ctx.clock.now() })
    checked += 1
    if (verdict.outcome === 'revoked' || verdict.outcome === 'no-access') {
      lost += 1
      const ended = await ctx.identity.endSessions(account.userId, 'plex')
      log.warn(`Plex re-check: ${verdict.reason}; ended ${ended} Plex session(s)`, { user: account.userId, plexId: account.providerAccountId })
      if (previous?.outcome !== verdict.outcome) {
        await ctx.events.emit(ACCESS_LOST, { userId: account.userId, plexId: account.providerAccountId, reason: verdict.reason })
      }
    } else if (verdict.outcome === 'unchecked') {
      log.warn(`Plex re-check: could not check a Plex account: ${verdict.reason}`, { user: account.userId })
    }
  }
  await recordRecheck(ctx.db, ctx.clock.now())
  return { checked, lost }
}

async function checkOne(
  ctx: PlexAuthContext, plexTv: ReturnType<typeof createPlexTvClient>, plexId: string,
  machineId: string | null, serverProblem: string | null, signal: AbortSignal,
): Promise<{ outcome: Outcome; reason: string | null }> {
  const token = (await ctx.identity.tokens('plex', plexId))?.accessToken
  if (!token) return { outcome: 'revoked', reason: 'no Plex token is stored for this account' }
  try {
    if ((await plexTv.user(token, signal)) === 'refused') return { outcome: 'revoked', reason: 'plex.tv no longer accepts the token (revoked or signed out)' }
    if (serverProblem) return { outcome: 'unchecked', reason: serverProblem }
    if (!machineId) return { outcome: 'ok', reason: 'no Plex server is configured, so access was not checked' }
    const resources = await plexTv.resources(token, signal)
    if (resources === 'refused') return { outcome: 'revoked', reason: 'plex.tv no longer accepts the token (revoked or signed out)' }
    return accessTo(resources, machineId).allowed ? { outcome: 'ok', reason: null } : { outcome: 'no-access', reason: 'the account no longer has access to the Plex server' }
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error
    return { outcome: 'unchecked', reason: `plex.tv could not be asked (${error.why})` }
  }
}

async function saveCheck(db: Knex, row: CheckRow): Promise<void> {
  await db('plex_auth_checks').insert(row).onConflict('user_id').merge(['plex_id', 'outcome', 'reason', 'checked_at'])
}

export async function latestChecks(db: Knex): Promise<CheckRow[]> {
  return db<CheckRow>('plex_auth_checks').orderBy('checked_at', 'desc').limit(500)
}

export async function forgetUser(db: Knex, userId: string): Promise<void> {
  await db('plex_auth_checks').where({ user_id: userId }).del()
}
