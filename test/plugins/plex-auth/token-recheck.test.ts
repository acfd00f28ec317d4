// Issue 19: the daily re-check of stored Plex tokens ends the Plex sessions of people
// whose token was revoked or whose share was taken away, and tells admins.
import { expect } from 'chai'
import type { ScheduleDefinition } from '../../../core/plugin-api.ts'
import { count, signInWithPlex, startHarness, type Harness } from './plex-auth-harness.ts'

describe('plex-auth: the daily token re-check', function () {
  this.timeout(60_000)
  let h: Harness

  before(async () => { h = await startHarness() })
  after(async () => { await h.stop() })

  const recheck = (): ScheduleDefinition => {
    const plugin = h.host.app.host.plugins.find((p) => p.name === 'plex-auth')!
    return plugin.contributions.schedules!.find((s) => s.id === 'recheck-tokens')!
  }

  it('is a daily cluster schedule, and what it emits is declared for admins', () => {
    expect(recheck()).to.include({ every: '1d', scope: 'cluster' })
    const type = h.host.app.core.eventTypes.types().find((t) => t.event === 'plex-auth.access.lost')
    expect(type).to.include({ audience: 'admins', plugin: 'plex-auth' })
    expect(h.host.app.core.eventTypes.describe('plex-auth.access.lost', { userId: 'u', reason: 'token revoked' }))
      .to.deep.include({ title: 'Plex access lost', link: '/admin/plex-auth' })
  })

  it('ends a revoked user’s and an unshared friend’s Plex sessions, keeps the others, and shows them to admins', async () => {
    const owner = await signInWithPlex(h, h.owner)
    const people = ['Kept', 'Revoked', 'Unshared'].map((username) => {
      const u = h.plexTv.addUser({ username })
      h.plexTv.shareServer(h.pms.machineIdentifier, u.id)
      return u
    })
    const clients = []
    for (const p of people) clients.push((await signInWithPlex(h, p)).client)
    const [kept, revoked, unshared] = people
    const userId = async (plexId: number) => (await h.host.db('users').where({ plex_id: String(plexId) }).first()).id as string
    const revokedId = await userId(revoked.id)

    const revokedToken = h.plexTv.pins().filter((p) => p.authToken).map((p) => p.authToken!)
    for (const token of revokedToken) {
      const res = await fetch(`${h.plexTv.url}/api/v2/user`, { headers: { Accept: 'application/json', 'X-Plex-Client-Identifier': 't', 'X-Plex-Token': token } })
      if ((await res.json() as { id: number }).id === revoked.id) h.plexTv.revokeToken(token)
    }
    h.plexTv.unshareServer(h.pms.machineIdentifier, unshared.id)

    await recheck().run({ signal: AbortSignal.timeout(30_000), log: h.host.app.log })

    expect(await count(h.host, 'sessions', { user_id: await userId(kept.id), sign_in_method: 'plex' })).to.equal(1)
    expect(await count(h.host, 'sessions', { user_id: revokedId, sign_in_method: 'plex' })).to.equal(0)
    expect(await count(h.host, 'sessions', { user_id: await userId(unshared.id), sign_in_method: 'plex' })).to.equal(0)
    expect((await clients[0].get('/account')).status).to.equal(200)
    expect((await clients[1].get('/account')).status).to.not.equal(200)
    expect((await clients[2].get('/account')).status).to.not.equal(200)
    const outcomes = Object.fromEntries((await h.host.db('plex_auth_checks')).map((r) => [r.plex_id, r.outcome]))
    expect(outcomes).to.include({ [String(kept.id)]: 'ok', [String(revoked.id)]: 'revoked', [String(unshared.id)]: 'no-access', [String(h.owner.id)]: 'ok' })

    const page = await owner.client.get('/admin/plex-auth')
    expect(page.status).to.equal(200)
    expect(page.text).to.include('plex.tv no longer accepts the token').and.include('no longer has access to the Plex server')
    expect(page.text).to.include('Revoked').and.include('Unshared').and.not.include('>Kept<')
    expect(page.text).to.include(`<code>${h.pms.url}</code>`)
  })

  it('ends nobody’s session while plex.tv is down, and says it could not check', async () => {
    const person = h.plexTv.addUser({ username: 'DuringOutage' })
    h.plexTv.shareServer(h.pms.machineIdentifier, person.id)
    await signInWithPlex(h, person)
    const id = (await h.host.db('users').where({ plex_id: String(person.id) }).first()).id
    h.plexTv.status(503)
    try {
      await recheck().run({ signal: AbortSignal.timeout(30_000), log: h.host.app.log })
    } finally {
      await h.plexTv.recover()
    }
    expect(await count(h.host, 'sessions', { user_id: id, sign_in_method: 'plex' })).to.equal(1)
    expect((await h.host.db('plex_auth_checks').where({ user_id: id }).first()).outcome).to.equal('unchecked')
  })
})
