// A user who must change their password can reach only that page and sign-out.
import type { RequestHandler } from 'express'
import { Forbidden } from '../plugin-api.ts'
import { viewerOf } from '../http/request-context.ts'

const ALLOWED = new Set(['/account/password', '/logout'])

export const passwordChangeGate: RequestHandler = (req, res, next) => {
  const viewer = viewerOf(req)
  if (!viewer?.requiresPasswordChange || ALLOWED.has(req.path) || req.path.startsWith('/reset/')) return next()
  if (req.method === 'GET' && req.get('HX-Request') !== 'true' && req.accepts(['html', 'json']) === 'html') {
    return res.redirect(303, '/account/password')
  }
  next(new Forbidden('Please choose a new password first (Account → Password).'))
}
