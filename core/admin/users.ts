// /admin/users: the account list (search, keyset pages), creating local users,
// role changes, suspension and password-reset links. Each handler validates, calls
// user-admin.ts, audits what changed (the field, never the value) and renders.
import express, { type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import { BadInput, Conflict, NotFound, type Role } from '../plugin-api.ts'
import { parseInput } from '../http/parse-input.ts'
import { requestLog, readerZone, viewerOf } from '../http/request-context.ts'
import { siteUrl } from '../http/site-url.ts'
import { wantsFragment } from '../views.ts'
import { audit } from '../auth/audit.ts'
import { issuePasswordReset } from '../auth/password-reset.ts'
import type { AdminDeps } from './deps.ts'
import { checkPageRequest } from './keyset-pages.ts'
import { textField, textFields } from './form-fields.ts'
import { uuidParam } from './path-params.ts'
import { pushCleanUrl } from './history-url.ts'
import { setFlash, takeFlash } from '../http/flash.ts'
import { ALREADY_SENT, claimSubmission, newFormToken, releaseSubmission } from '../http/one-time-forms.ts'
import { inZone } from './timestamps.ts'
import {
  changeRole, changeStatus, createLocalUser, deleteUser, findAdminUserView, searchUsers,
  type AccountChange, type AdminUserView, type UserStatus,
} from './user-admin.ts'

const newUserForm = z.object({
  email: z.string().trim().min(1, 'Enter an email address.').max(254, 'Use at most 254 characters.')
    .pipe(z.email('Enter a valid email address, like name@example.com.')),
  name: z.string().trim().max(100, 'Use at most 100 characters.'),
  role: z.enum(['USER', 'ADMIN'], { error: 'Choose User or Admin.' }),
})

const DONE: Record<string, string> = {
  role: 'Role changed. If they lost the admin role, they were signed out everywhere.',
  suspended: 'Account suspended. They were signed out everywhere.',
  reactivated: 'Account reactivated. They can sign in again.',
  unchanged: 'Nothing to change.',
}

function usersHref(params: { q: string; after?: string; before?: string }): string {
  const search = new URLSearchParams()
  if (params.q) search.set('q', params.q)
  if (params.after) search.set('after', params.after)
  if (params.before) search.set('before', params.before)
  const text = search.toString()
  return text ? `/admin/users?${text}` : '/admin/users'
}

function present(user: AdminUserView, zone: string) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    status: user.status,
    plexUsername: user.plex_username,
    hasPassword: user.has_password,
    requiresPasswordChange: user.requires_password_change,
    lastLogin: inZone(user.last_login_at, zone),
    created: inZone(user.created_at, zone),
  }
}

export function userAdminRoutes(deps: AdminDeps): Router {
  const { db, views, publicUrl, emit } = deps
  const router = express.Router()

  router.get('/users', async (req, res) => {
    const query = textFields(req.query, ['q', 'after', 'before'])
    const q = query.q.trim()
    let error: string | null = null
    let status = 200
    let result = null
    try {
      if (q.length > 254) throw new BadInput('Search for at most 254 characters.', { q: 'Too long.' })
      checkPageRequest({ after: query.after || undefined, before: query.before || undefined })
      result = await searchUsers(db, { q, after: query.after || undefined, before: query.before || undefined })
    } catch (e) {
      if (!(e instanceof BadInput)) throw e
      error = e.message
      status = 422
    }
    pushCleanUrl(req, res, usersHref({ q, after: query.after || undefined, before: query.before || undefined }))
    await views.pageOrFragment(req, res, {
      page: 'admin/users', fragment: 'admin/_users-table', title: 'Users', status,
      data: {
        q: q.slice(0, 254),
        notice: textField(req.query, 'done') === 'deleted' ? 'Account deleted.' : null,
        error,
        users: result?.rows.map((u) => present(u, readerZone(req, deps.siteTimeZone))) ?? [],
        pager: {
          target: '#admin-users-table',
          firstHref: result?.paged ? usersHref({ q }) : null,
          prevHref: result?.prev ? usersHref({ q, before: result.prev }) : null,
          nextHref: result?.next ? usersHref({ q, after: result.next }) : null,
        },
      },
    })
  })

  const renderNewUser = (req: Request, res: Response, status: number, form: { values: Record<string, string>; error: string | null; fields: Record<string, string> }) =>
    views.pageOrFragment(req, res, {
      page: 'admin/user-new', fragment: 'admin/_user-form', title: 'Create a user', status,
      data: { form: { ...form, once: newFormToken() } },
    })

  router.get('/users/new', async (req, res) => {
    await renderNewUser(req, res, 200, { values: { email: '', name: '', role: 'USER' }, error: null, fields: {} })
  })

  router.post('/users', async (req, res) => {
    const values = textFields(req.body, ['email', 'name', 'role'])
    const echo = { email: values.email.slice(0, 254), name: values.name.slice(0, 100), role: values.role === 'ADMIN' ? 'ADMIN' : 'USER' }
    const adminId = viewerOf(req)!.id
    let input: z.output<typeof newUserForm>
    try {
      input = parseInput(newUserForm, values)
    } catch (error) {
      if (error instanceof BadInput) return renderNewUser(req, res, 422, { values: echo, error: 'No user was created. Please correct the fields below.', fields: error.fields })
      throw error
    }
    if (await claimSubmission(db, adminId, 'admin:users', req.body) === 'repeat') {
      return renderNewUser(req, res, 409, { values: echo, error: `${ALREADY_SENT} Look for the account in the user list.`, fields: {} })
    }
    let created: Awaited<ReturnType<typeof createLocalUser>>
    try {
      created = await createLocalUser(db, emit, adminId, { email: input.email, name: input.name || null, role: input.role })
    } catch (error) {
      await releaseSubmission(db, adminId, 'admin:users', req.body)
      if (error instanceof Conflict) return renderNewUser(req, res, 409, { values: echo, error: error.message, fields: { email: error.message } })
      throw error
    }
    audit(requestLog(req), 'admin created a user', { by: viewerOf(req)!.id, user: created.user.id, fields: 'email,name,role' })
    // The temporary password exists only in this response.
    res.setHeader('Cache-Control', 'no-store')
    await views.pageOrFragment(req, res, {
      page: 'admin/user-created', fragment: 'admin/_user-created', title: 'User created', status: 201,
      data: { user: present(created.user, readerZone(req, deps.siteTimeZone)), temporaryPassword: created.temporaryPassword },
    })
  })

  const renderUser = async (req: Request, res: Response, user: AdminUserView, extra: { status?: number; notice?: string | null; error?: string | null; resetLink?: string | null } = {}) => {
    await views.pageOrFragment(req, res, {
      page: 'admin/user', fragment: 'admin/_user', title: user.email, status: extra.status ?? 200,
      data: {
        user: present(user, readerZone(req, deps.siteTimeZone)),
        isSelf: viewerOf(req)!.id === user.id,
        notice: extra.notice ?? null,
        error: extra.error ?? null,
        resetLink: extra.resetLink ?? null,
      },
    })
  }

  const mustFind = async (id: string) => {
    const user = await findAdminUserView(db, id)
    if (!user) throw new NotFound('There is no such user.')
    return user
  }

  router.get('/users/:id', async (req, res) => {
    const user = await mustFind(uuidParam(req, 'user'))
    await renderUser(req, res, user, { notice: takeFlash(req, res, deps.cookies, `admin:user:${user.id}`, DONE) })
  })

  // Suspending asks first. With htmx the browser's confirm dialog does; without
  // JavaScript the suspend button opens this page.
  router.get('/users/:id/suspend', async (req, res) => {
    const user = await mustFind(uuidParam(req, 'user'))
    await views.pageOrFragment(req, res, {
      page: 'admin/user-suspend', fragment: 'admin/user-suspend', title: `Suspend ${user.email}?`,
      data: { user: present(user, readerZone(req, deps.siteTimeZone)) },
    })
  })

  /** After a change: htmx gets the updated card, a plain form post is redirected (PRG). */
  const changed = async (req: Request, res: Response, id: string, done: string) => {
    if (!wantsFragment(req)) {
      setFlash(res, deps.cookies, `admin:user:${id}`, done)
      return res.redirect(303, `/admin/users/${id}`)
    }
    await renderUser(req, res, await mustFind(id), { notice: DONE[done] })
  }

  const refuse = async (req: Request, res: Response, id: string, status: number, error: string) => {
    await renderUser(req, res, await mustFind(id), { status, error })
  }

  const applied = (req: Request, id: string, field: string, result: AccountChange) => {
    if (!result.changed) return
    audit(requestLog(req), 'admin changed a user', { by: viewerOf(req)!.id, user: id, field, sessionsEnded: result.sessionsEnded })
  }

  /** Runs one account change; a refused change (self, last admin) answers 409 and changes nothing. */
  const change = async (req: Request, res: Response, id: string, field: string, work: () => Promise<AccountChange>, done: (result: AccountChange) => string) => {
    let result: AccountChange
    try {
      result = await work()
    } catch (error) {
      if (error instanceof Conflict) return refuse(req, res, id, 409, error.message)
      throw error
    }
    applied(req, id, field, result)
    await changed(req, res, id, result.changed ? done(result) : 'unchanged')
  }

  router.post('/users/:id/role', async (req, res) => {
    const id = uuidParam(req, 'user')
    const role = textField(req.body, 'role')
    if (role !== 'USER' && role !== 'ADMIN') return refuse(req, res, id, 422, 'Choose a role: User or Admin.')
    await change(req, res, id, 'role', () => changeRole(db, emit, viewerOf(req)!.id, id, role as Role), () => 'role')
  })

  router.post('/users/:id/status', async (req, res) => {
    const id = uuidParam(req, 'user')
    const status = textField(req.body, 'status')
    if (status !== 'active' && status !== 'suspended') return refuse(req, res, id, 422, 'Choose to suspend or reactivate the account.')
    await change(req, res, id, 'status', () => changeStatus(db, emit, viewerOf(req)!.id, id, status as UserStatus),
      () => (status === 'suspended' ? 'suspended' : 'reactivated'))
  })

  router.get('/users/:id/delete', async (req, res) => {
    const user = await mustFind(uuidParam(req, 'user'))
    await views.pageOrFragment(req, res, {
      page: 'admin/user-delete', fragment: 'admin/user-delete', title: 'Delete an account',
      data: { user: present(user, readerZone(req, deps.siteTimeZone)), isSelf: viewerOf(req)!.id === user.id },
    })
  })

  router.post('/users/:id/delete', async (req, res) => {
    const id = uuidParam(req, 'user')
    let deleted: { email: string }
    try {
      deleted = await deleteUser(db, emit, viewerOf(req)!.id, id)
    } catch (error) {
      if (error instanceof Conflict) return refuse(req, res, id, 409, error.message)
      throw error
    }
    audit(requestLog(req), 'admin deleted a user', { by: viewerOf(req)!.id, user: id })
    requestLog(req).debug(`deleted the account of ${deleted.email}`)
    if (req.get('HX-Request') === 'true') {
      res.setHeader('HX-Redirect', '/admin/users?done=deleted')
      return res.status(204).end()
    }
    res.redirect(303, '/admin/users?done=deleted')
  })

  router.post('/users/:id/reset-password', async (req, res) => {
    const user = await mustFind(uuidParam(req, 'user'))
    const path = await issuePasswordReset(db, user.id)
    audit(requestLog(req), 'admin issued a password reset link', { by: viewerOf(req)!.id, user: user.id })
    // The link is shown once and never stored in a form a browser could replay.
    res.setHeader('Cache-Control', 'no-store')
    await renderUser(req, res, user, { resetLink: `${siteUrl(req, publicUrl) ?? ''}${path}` })
  })

  return router
}
