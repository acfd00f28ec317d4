import { expect } from 'chai'
import { hashToken } from '../../core/auth/tokens.ts'
import { changeRole, changeStatus } from '../../core/admin/user-admin.ts'
import { Conflict } from '../../core/plugin-api.ts'
import { logDuring } from '../support/log-capture.ts'
import { startTestHost, type TestHost } from '../support/test-host.ts'
import type { Emit } from '../../core/lifecycle-events.ts'

const LIMITS = { rateLimits: { login: { limit: 1000, window: '15m' }, authenticated: { limit: 10_000, window: '1m' } } }
const count = async (host: TestHost, table: string, where: Record<string, unknown> = {}) =>
  Number((await host.db(table).where(where).count('* as n').first())!.n)
const alert = (html: string) => /role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1].trim()
const emailsIn = (html: string) => [...html.matchAll(/<a href="\/admin\/users\/[0-9a-f-]{36}">([^<]+)<\/a>/g)].map((m) => m[1])
const link = (html: string, rel: 'next' | 'prev') => new RegExp(`rel="${rel}" href="([^"]+)"`).exec(html)?.[1].replace(/&amp;/g, '&')
const noEvents: Emit = async () => {}

/** Audit lines written while `work` runs. */
const auditDuring = async (host: TestHost, work: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> =>
  (await logDuring(host.app.log, 'info', work)).filter((info) => info.audit)

describe('admin: users', function () {
  this.timeout(120_000)
  let host: TestHost

  before(async () => { host = await startTestHost({ config: LIMITS }) })
  after(async () => { await host.stop() })

  const signedInAdmin = async () => host.signedIn(await host.createUser({ role: 'ADMIN' }))

  describe('creating a local user', () => {
    it('creates the row with a temporary password shown once, which signs in and must be changed', async () => {
      const { client } = await signedInAdmin()
      await client.get('/admin/users/new')
      const res = await client.post('/admin/users', { email: 'New.Person@Example.com', name: 'New Person', role: 'USER' })
      expect(res.status).to.equal(201)
      expect(res.headers.get('cache-control')).to.equal('no-store')
      const password = /id="admin-user-temporary-password">([^<]+)</.exec(res.text)?.[1]
      expect(password).to.be.a('string').with.length.of.at.least(12)

      const row = await host.db('users').where({ email: 'new.person@example.com' }).first()
      expect(row).to.include({ name: 'New Person', role: 'USER', status: 'active', requires_password_change: true })
      expect(row.password_hash).to.match(/^\$argon2id\$/)
      expect(row.password_hash).not.to.contain(password!)

      const them = host.client()
      await them.get('/login')
      const login = await them.post('/login', { email: 'new.person@example.com', password: password! })
      expect(login.status).to.equal(303)
      expect(login.location).to.equal('/account/password')

      // The account page never shows it again.
      const page = await client.get(`/admin/users/${row.id}`)
      expect(page.status).to.equal(200)
      expect(page.text).not.to.contain(password!)
    })

    it('answers htmx with the result fragment in place of the form', async () => {
      const { client } = await signedInAdmin()
      await client.get('/admin/users/new')
      const res = await client.post('/admin/users', { email: 'htmx-made@example.com', name: '', role: 'ADMIN' }, { htmx: true })
      expect(res.status).to.equal(201)
      expect(res.text).not.to.contain('<html')
      expect(res.text).to.contain('id="admin-user-form"').and.contain('User created')
      expect(await host.db('users').where({ email: 'htmx-made@example.com' }).first()).to.include({ role: 'ADMIN', name: null })
    })

    it('refuses an email already in use, whatever its case, and changes nothing', async () => {
      const { client } = await signedInAdmin()
      const existing = await host.createUser()
      await client.get('/admin/users/new')
      const before = await count(host, 'users')
      const res = await client.post('/admin/users', { email: existing.email.toUpperCase(), name: 'Copy', role: 'USER' })
      expect(res.status).to.equal(409)
      expect(res.text).to.contain('already in use')
      expect(res.text).to.contain('id="admin-user-form"')
      expect(await count(host, 'users')).to.equal(before)
    })

    for (const [what, form, field] of [
      ['a malformed email', { email: 'not-an-email', name: 'X', role: 'USER' }, 'email'],
      ['an empty email', { email: '   ', name: 'X', role: 'USER' }, 'email'],
      ['an oversized email', { email: `${'a'.repeat(250)}@example.com`, name: 'X', role: 'USER' }, 'email'],
      ['an oversized name', { email: 'long-name@example.com', name: 'n'.repeat(101), role: 'USER' }, 'name'],
      ['an unknown role', { email: 'odd-role@example.com', name: 'X', role: 'OWNER' }, 'role'],
      ['a missing role', { email: 'no-role@example.com', name: 'X' }, 'role'],
    ] as const) {
      it(`refuses ${what} with 422 on the same form and changes nothing`, async () => {
        const { client } = await signedInAdmin()
        await client.get('/admin/users/new')
        const before = await count(host, 'users')
        const res = await client.post('/admin/users', form as Record<string, string>)
        expect(res.status).to.equal(422)
        expect(res.text).to.contain(`id="admin-user-form-${field}-error"`)
        expect(res.text).to.contain('<form id="admin-user-form"')
        expect(await count(host, 'users')).to.equal(before)
      })
    }
  })

  describe('the list', () => {
    it('searches email and name, case-insensitively, with wildcards taken literally', async () => {
      const { client } = await signedInAdmin()
      await host.createUser({ email: 'zebra.one@example.com', name: 'Plain' })
      await host.createUser({ email: 'plain.two@example.com', name: 'Big ZEBRA fan' })
      await host.createUser({ email: 'other@example.com', name: 'Nobody' })
      await host.createUser({ email: 'pct%sign@example.com', name: 'Percent' })
      const res = await client.get('/admin/users?q=zEbRa')
      expect(res.status).to.equal(200)
      expect(emailsIn(res.text).sort()).to.deep.equal(['plain.two@example.com', 'zebra.one@example.com'])
      const literal = await client.get('/admin/users?q=%25sign')
      expect(emailsIn(literal.text)).to.deep.equal(['pct%sign@example.com'])
      const none = await client.get('/admin/users?q=%25')
      expect(emailsIn(none.text)).to.deep.equal(['pct%sign@example.com'])
    })

    it('pages through 120 users 50 at a time, forwards and back, without gaps or repeats', async () => {
      const { client } = await signedInAdmin()
      // One statement: every row gets the same created_at, so only the id orders them.
      const rows = Array.from({ length: 120 }, (_, i) => ({ email: `bulk${String(i).padStart(3, '0')}@paging.test`, name: `Bulk ${i}` }))
      await host.db('users').insert(rows)

      const first = await client.get('/admin/users?q=paging.test')
      const page1 = emailsIn(first.text)
      expect(page1).to.have.length(50)
      expect(link(first.text, 'prev')).to.equal(undefined)
      const next1 = link(first.text, 'next')!
      expect(next1).to.match(/^\/admin\/users\?q=paging\.test&after=/)

      const second = await client.get(next1)
      const page2 = emailsIn(second.text)
      expect(page2).to.have.length(50)
      const third = await client.get(link(second.text, 'next')!)
      const page3 = emailsIn(third.text)
      expect(page3).to.have.length(20)
      expect(link(third.text, 'next')).to.equal(undefined)
      expect(new Set([...page1, ...page2, ...page3]).size).to.equal(120)

      const back = await client.get(link(third.text, 'prev')!)
      expect(emailsIn(back.text)).to.deep.equal(page2)
      const backAgain = await client.get(link(back.text, 'prev')!)
      expect(emailsIn(backAgain.text)).to.deep.equal(page1)
      expect(link(backAgain.text, 'prev')).to.equal(undefined)

      // htmx gets the table alone, with links it can push.
      const fragment = await client.get(next1, { htmx: true })
      expect(fragment.text).not.to.contain('<html')
      expect(fragment.text.trimStart()).to.match(/^<section class="card" id="admin-users-table"/)
      expect(emailsIn(fragment.text)).to.deep.equal(page2)
      expect(fragment.headers.get('vary')).to.match(/HX-Request/)
    })

    it('refuses a broken page link or an oversized search with 422', async () => {
      const { client } = await signedInAdmin()
      expect((await client.get('/admin/users?after=garbage')).status).to.equal(422)
      const huge = await client.get(`/admin/users?q=${'x'.repeat(300)}`)
      expect(huge.status).to.equal(422)
      expect(huge.text).to.contain('at most 254')
    })

    it('shows role, status, last login and created time, in the reading admin\'s own zone', async () => {
      const { client } = await host.signedIn(await host.createUser({ role: 'ADMIN', time_zone: 'America/New_York' }))
      const someone = await host.createUser({ email: 'columns@example.com', status: 'suspended', last_login_at: new Date('2026-01-02T03:04:00Z') })
      const res = await client.get('/admin/users?q=columns%40example.com')
      const row = new RegExp(`<tr id="admin-user-row-${someone.id}">([\\s\\S]*?)</tr>`).exec(res.text)![1]
      expect(row).to.contain('User').and.contain('suspended').and.contain('1 Jan 2026, 22:04 GMT-5')
    })
  })

  describe('changing an account', () => {
    it('a role change away from admin ends that user\'s sessions', async () => {
      const { client } = await signedInAdmin()
      const other = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
      expect((await other.client.get('/admin')).status).to.equal(200)
      await client.get(`/admin/users/${other.user.id}`)
      const res = await client.post(`/admin/users/${other.user.id}/role`, { role: 'USER' })
      expect(res.status).to.equal(303)
      expect(res.location).to.equal(`/admin/users/${other.user.id}`)
      expect((await host.db('users').where({ id: other.user.id }).first()).role).to.equal('USER')
      expect(await count(host, 'sessions', { user_id: other.user.id })).to.equal(0)
      const after = await other.client.get('/admin')
      expect(after.status).to.equal(303)
      expect(after.location).to.match(/^\/login/)
    })

    it('promoting keeps sessions and answers htmx with the updated card', async () => {
      const { client } = await signedInAdmin()
      const other = await host.signedIn()
      await client.get(`/admin/users/${other.user.id}`)
      const res = await client.post(`/admin/users/${other.user.id}/role`, { role: 'ADMIN' }, { htmx: true })
      expect(res.status).to.equal(200)
      expect(res.text).not.to.contain('<html')
      expect(res.text).to.contain(`id="admin-user-${other.user.id}"`).and.contain('Role changed')
      expect(await count(host, 'sessions', { user_id: other.user.id })).to.equal(1)
      expect((await other.client.get('/admin')).status).to.equal(200)
    })

    it('suspending ends the sessions, and reactivating lets them sign in again', async () => {
      const { client } = await signedInAdmin()
      const other = await host.signedIn()
      await client.get(`/admin/users/${other.user.id}`)
      const res = await client.post(`/admin/users/${other.user.id}/status`, { status: 'suspended' })
      expect(res.status).to.equal(303)
      expect(await count(host, 'sessions', { user_id: other.user.id })).to.equal(0)
      const home = await other.client.get('/')
      expect(home.status).to.equal(303)
      expect(home.location).to.match(/^\/login/)
      const refused = await host.client().post('/login', { email: other.user.email, password: other.user.password })
      expect(refused.status).to.equal(403)

      const page = await client.get(`/admin/users/${other.user.id}`)
      expect(page.text).to.contain('Account suspended').and.contain('Reactivate')
      await client.post(`/admin/users/${other.user.id}/status`, { status: 'active' })
      expect((await host.db('users').where({ id: other.user.id }).first()).status).to.equal('active')
      const again = host.client()
      await again.get('/login')
      expect((await again.post('/login', { email: other.user.email, password: other.user.password })).status).to.equal(303)
    })

    it('refuses to let an admin suspend or demote themselves', async () => {
      const { client, user } = await signedInAdmin()
      await client.get(`/admin/users/${user.id}`)
      const suspend = await client.post(`/admin/users/${user.id}/status`, { status: 'suspended' })
      expect(suspend.status).to.equal(409)
      expect(alert(suspend.text)).to.equal('You cannot suspend your own account. Ask another admin to do it.')
      const demote = await client.post(`/admin/users/${user.id}/role`, { role: 'USER' }, { htmx: true })
      expect(demote.status).to.equal(409)
      expect(demote.text).to.contain('You cannot remove your own admin role')
      const row = await host.db('users').where({ id: user.id }).first()
      expect(row).to.include({ role: 'ADMIN', status: 'active' })
      expect(await count(host, 'sessions', { user_id: user.id })).to.equal(1)
    })

    it('refuses an unknown role or status with 422 and changes nothing', async () => {
      const { client } = await signedInAdmin()
      const other = await host.createUser()
      await client.get(`/admin/users/${other.id}`)
      const role = await client.post(`/admin/users/${other.id}/role`, { role: 'ROOT' })
      expect(role.status).to.equal(422)
      expect(alert(role.text)).to.equal('Choose a role: User or Admin.')
      const status = await client.post(`/admin/users/${other.id}/status`, { status: 'deleted' })
      expect(status.status).to.equal(422)
      expect(await host.db('users').where({ id: other.id }).first()).to.include({ role: 'USER', status: 'active' })
    })

    it('answers 404, not 500, for a malformed or unknown id', async () => {
      const { client } = await signedInAdmin()
      await client.get('/admin/users')
      expect((await client.get('/admin/users/not-a-uuid')).status).to.equal(404)
      expect((await client.get('/admin/users/00000000-0000-4000-8000-000000000000')).status).to.equal(404)
      expect((await client.post('/admin/users/1%27%20or%201=1/role', { role: 'ADMIN' })).status).to.equal(404)
      expect((await client.post('/admin/users/00000000-0000-4000-8000-000000000000/status', { status: 'suspended' })).status).to.equal(404)
      expect((await client.post('/admin/users/nope/reset-password')).status).to.equal(404)
    })
  })

  it('audits every change by field name, never by value', async () => {
    const { client, user } = await signedInAdmin()
    const target = await host.createUser()
    await client.get('/admin/users/new')
    const lines = await auditDuring(host, async () => {
      await client.post('/admin/users', { email: 'audited.person@example.com', name: 'Audited Name', role: 'USER' })
      await client.post(`/admin/users/${target.id}/role`, { role: 'ADMIN' })
      await client.post(`/admin/users/${target.id}/status`, { status: 'suspended' })
      await client.post(`/admin/users/${target.id}/reset-password`)
    })
    expect(lines.map((l) => l.audit)).to.deep.equal([
      'admin created a user', 'admin changed a user', 'admin changed a user', 'admin issued a password reset link',
    ])
    expect(lines.map((l) => l.field ?? l.fields)).to.deep.equal(['email,name,role', 'role', 'status', undefined])
    for (const line of lines) {
      expect(line.by).to.equal(user.id)
      const text = JSON.stringify(line)
      for (const value of ['audited.person', 'Audited Name', '"ADMIN"', 'suspended', '/reset/']) expect(text).not.to.contain(value)
    }
  })

  describe('password reset links', () => {
    it('shows the full one-time link once and stores only its hash', async () => {
      const { client } = await signedInAdmin()
      const other = await host.createUser()
      await client.get(`/admin/users/${other.id}`)
      const res = await client.post(`/admin/users/${other.id}/reset-password`)
      expect(res.status).to.equal(200)
      expect(res.headers.get('cache-control')).to.equal('no-store')
      expect(res.text).to.contain('valid for 1 hour, single use')
      const url = /id="admin-user-reset-link">([^<]+)</.exec(res.text)?.[1]
      expect(url).to.match(new RegExp(`^${host.url.replace(/[.]/g, '\\.')}/reset/[A-Za-z0-9_-]{43}$`))
      const token = url!.split('/reset/')[1]
      const rows = await host.db('verification_tokens').where({ identifier: `reset:${other.id}` })
      expect(rows).to.have.length(1)
      expect(rows[0].token).to.equal(hashToken(token))

      // A second link replaces the first.
      const again = await client.post(`/admin/users/${other.id}/reset-password`, {}, { htmx: true })
      expect(again.text).not.to.contain('<html')
      const second = /id="admin-user-reset-link">[^<]*\/reset\/([^<]+)</.exec(again.text)![1]
      expect(second).not.to.equal(token)
      const after = await host.db('verification_tokens').where({ identifier: `reset:${other.id}` })
      expect(after.map((r) => r.token)).to.deep.equal([hashToken(second)])
    })

    it('uses the configured public address when there is one', async () => {
      const other = await startTestHost({ config: { ...LIMITS, publicUrl: 'http://media.example.test:8080/' } })
      try {
        const { client } = await other.signedIn(await other.createUser({ role: 'ADMIN' }))
        const target = await other.createUser()
        await client.get(`/admin/users/${target.id}`)
        const res = await client.post(`/admin/users/${target.id}/reset-password`)
        expect(res.text).to.match(/id="admin-user-reset-link">http:\/\/media\.example\.test:8080\/reset\/[A-Za-z0-9_-]+</)
      } finally {
        await other.stop()
      }
    })
  })
})

describe('admin: the last active admin', function () {
  this.timeout(60_000)
  let host: TestHost
  beforeEach(async () => { host = await startTestHost({ config: LIMITS }) })
  afterEach(async () => { await host.stop() })

  it('cannot be demoted or suspended, even by a change that skips the self check', async () => {
    const onlyAdmin = await host.createUser({ role: 'ADMIN' })
    const actor = await host.createUser()
    for (const attempt of [() => changeRole(host.db, noEvents, actor.id, onlyAdmin.id, 'USER'), () => changeStatus(host.db, noEvents, actor.id, onlyAdmin.id, 'suspended')]) {
      let refused: unknown = null
      try { await attempt() } catch (error) { refused = error }
      expect(refused).to.be.instanceOf(Conflict)
      expect((refused as Error).message).to.contain('last active admin')
    }
    expect(await host.db('users').where({ id: onlyAdmin.id }).first()).to.include({ role: 'ADMIN', status: 'active' })
  })

  it('lets only one of two admins demoting each other at the same moment succeed', async () => {
    const a = await host.createUser({ role: 'ADMIN' })
    const b = await host.createUser({ role: 'ADMIN' })
    const results = await Promise.allSettled([changeRole(host.db, noEvents, a.id, b.id, 'USER'), changeStatus(host.db, noEvents, b.id, a.id, 'suspended')])
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1)
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(refused.reason).to.be.instanceOf(Conflict)
    expect(await count(host, 'users', { role: 'ADMIN', status: 'active' })).to.equal(1)
  })

  it('can lose the role once another admin is active', async () => {
    const { client, user } = await host.signedIn(await host.createUser({ role: 'ADMIN' }))
    const second = await host.createUser({ role: 'ADMIN' })
    await client.get(`/admin/users/${second.id}`)
    expect((await client.post(`/admin/users/${second.id}/role`, { role: 'USER' })).status).to.equal(303)
    // Now the viewer is the last active admin, and still cannot demote themselves.
    const self = await client.post(`/admin/users/${user.id}/role`, { role: 'USER' })
    expect(self.status).to.equal(409)
    expect(await count(host, 'users', { role: 'ADMIN', status: 'active' })).to.equal(1)
  })
})
