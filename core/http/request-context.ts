// What the core knows about a request, kept in a WeakMap rather than hung on `req`:
// the correlation id, the viewer (and the API token it came with) and the request's logger.
import crypto from 'node:crypto'
import type { Request, RequestHandler } from 'express'
import type { Logger } from 'winston'
import type { Viewer } from '../plugin-api.ts'

interface RequestState {
  id: string
  base: Logger
  /** Made on first use: most requests log nothing, and a child logger is not free. */
  log: Logger | null
  viewer: Viewer | null
  /** Set for `Authorization: Bearer` requests: what a long-lived stream re-checks later. */
  apiTokenId: string | null
  /** The request's session cookie named a session that has ended (signed out elsewhere, revoked, suspended). */
  sessionEnded: boolean
}

const states = new WeakMap<Request, RequestState>()
const INCOMING_ID = /^[A-Za-z0-9._:-]{8,64}$/

/** Takes a sane incoming X-Request-Id (from a proxy) or makes one, and echoes it. */
export function requestContext(log: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('X-Request-Id')
    const id = incoming && INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID()
    res.setHeader('X-Request-Id', id)
    states.set(req, { id, base: log, log: null, viewer: null, apiTokenId: null, sessionEnded: false })
    next()
  }
}

function state(req: Request): RequestState {
  const s = states.get(req)
  if (!s) throw new Error('requestContext middleware is not installed')
  return s
}

export const requestId = (req: Request): string => state(req).id
export function requestLog(req: Request): Logger {
  const s = state(req)
  s.log ??= s.base.child({ requestId: s.id })
  return s.log
}
export const viewerOf = (req: Request): Viewer | null => states.get(req)?.viewer ?? null
export const apiTokenOf = (req: Request): string | null => states.get(req)?.apiTokenId ?? null
export function setViewer(req: Request, viewer: Viewer | null, apiTokenId: string | null = null): void {
  const s = state(req)
  s.viewer = viewer
  s.apiTokenId = viewer ? apiTokenId : null
}
export const sessionEnded = (req: Request): boolean => states.get(req)?.sessionEnded ?? false
export function markSessionEnded(req: Request): void {
  state(req).sessionEnded = true
}

/** The zone this request's reader reads dates in: their own (chosen on /account), else the site's. */
export const readerZone = (req: Request, siteZone: string): string => viewerOf(req)?.timeZone ?? siteZone
