// /account: the person's own profile (display name and avatar address) and the way
// to their password, sessions and API tokens.
import express, { type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import { BadInput, NotFound } from '../plugin-api.ts'
import { parseInput } from '../http/parse-input.ts'
import { requestLog, viewerOf } from '../http/request-context.ts'
import { wantsFragment } from '../views.ts'
import { audit } from '../auth/audit.ts'
import { setFlash, takeFlash, takeFlashKey } from '../http/flash.ts'
import { VERIFY_NOTICES } from './verify-email.ts'
import { allowHttpsImages } from '../http/security-headers.ts'
import { findUserById, type UserRow } from '../auth/users.ts'
import type { AccountDeps } from './deps.ts'
import { isTimeZone, TIME_ZONES } from '../time-zones.ts'

export const MAX_NAME_LENGTH = 100
export const MAX_IMAGE_URL_LENGTH = 2000

/** The address to put in <img src>, or null unless it is an https URL. */
export function safeImageUrl(value: string | null | undefined): string | null {
  if (!value || value.length > MAX_IMAGE_URL_LENGTH) return null
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return null
  }
  // Only https: this page's CSP (allowHttpsImages) blocks http:// images, which would show as broken.
  if (url.protocol !== 'https:') return null
  return url.href
}

const profileBody = z.object({
  name: z.string().trim().max(MAX_NAME_LENGTH, `Use at most ${MAX_NAME_LENGTH} characters for your name.`),
  image: z.string().trim()
    .max(MAX_IMAGE_URL_LENGTH, `Use an address of at most ${MAX_IMAGE_URL_LENGTH} characters.`)
    .refine((v) => v === '' || safeImageUrl(v) !== null, 'Use an image address that starts with https:// (http:// images cannot be shown on this page).'),
  time_zone: z.string().refine((v) => v === '' || isTimeZone(v), 'Choose a time zone from the list.'),
})

interface ProfileForm {
  name: string
  image: string
  timeZone: string
  error: string | null
  fields: Record<string, string>
  saved: boolean
}

export function profileRoutes(deps: AccountDeps): Router {
  const { db, views } = deps
  const router = express.Router()

  const render = async (req: Request, res: Response, user: UserRow, form: Partial<ProfileForm>, status = 200, headerName: string | null = null, verifyNotice: string | null = null) => {
    const full: ProfileForm = { name: user.name ?? '', image: user.image ?? '', timeZone: user.time_zone ?? '', error: null, fields: {}, saved: false, ...form }
    allowHttpsImages(res)
    await views.pageOrFragment(req, res, {
      page: 'account/index', fragment: 'account/_profile-form', title: 'Your account', status,
      data: {
        account: { email: user.email, role: user.role, hasPassword: Boolean(user.password_hash), plexUsername: user.plex_username },
        address: { verified: user.email_verified, canVerify: deps.mailsLinks, notice: verifyNotice },
        // The preview shows what is saved, or what was just typed when it is a valid address.
        avatarUrl: safeImageUrl(full.fields.image ? user.image : full.image),
        form: full, zones: TIME_ZONES, siteZone: deps.siteTimeZone,
        // After a save with htmx, the header's name is updated out of band (<hx-partial>).
        headerName,
      },
    })
  }

  const currentUser = async (req: Request): Promise<UserRow> => {
    const user = await findUserById(db, viewerOf(req)!.id)
    if (!user) throw new NotFound('Your account no longer exists.')
    return user
  }

  router.get('/', async (req, res) => {
    await render(req, res, await currentUser(req), { saved: takeFlashKey(req, res, deps.cookies, 'account:profile') === 'saved' }, 200, null,
      takeFlash(req, res, deps.cookies, 'account:verify', VERIFY_NOTICES))
  })

  router.post('/', async (req, res) => {
    const user = await currentUser(req)
    const echo = {
      name: String(req.body?.name ?? '').slice(0, MAX_NAME_LENGTH + 50),
      image: String(req.body?.image ?? '').slice(0, MAX_IMAGE_URL_LENGTH + 50),
      timeZone: String(req.body?.time_zone ?? '').slice(0, 64),
    }
    let body: z.output<typeof profileBody>
    try {
      body = parseInput(profileBody, { name: echo.name, image: echo.image, time_zone: echo.timeZone })
    } catch (error) {
      if (!(error instanceof BadInput)) throw error
      return render(req, res, user, { ...echo, error: 'Your profile was not saved. Please correct the fields below.', fields: error.fields }, 422)
    }
    const changes = { name: body.name || null, image: body.image || null, time_zone: body.time_zone || null }
    await db('users').where({ id: user.id }).update(changes)
    audit(requestLog(req), 'profile updated', {
      user: user.id,
      fields: Object.keys(changes).filter((k) => changes[k as keyof typeof changes] !== user[k as keyof typeof changes]).join(',') || 'none',
    })
    if (wantsFragment(req)) return render(req, res, { ...user, ...changes }, { saved: true }, 200, changes.name ?? user.email)
    setFlash(res, deps.cookies, 'account:profile', 'saved')
    res.redirect(303, '/account')
  })

  return router
}
