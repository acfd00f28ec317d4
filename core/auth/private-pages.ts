// Everything answered to a signed-in person is theirs alone: no browser or proxy may keep
// it, so Back after signing out shows the sign-in page, not yesterday's admin page.
import type { RequestHandler } from 'express'
import { viewerOf } from '../http/request-context.ts'

export const privatePagesNotStored: RequestHandler = (req, res, next) => {
  if (viewerOf(req)) res.setHeader('Cache-Control', 'no-store')
  next()
}
