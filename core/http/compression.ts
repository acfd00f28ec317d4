// brotli or gzip for what the app renders (pages, fragments, JSON errors), through the
// `compression` package. Static assets do not pass here: static-assets.ts compressed
// them once. The live stream (/events, text/event-stream) is never compressed: a
// compressor holds bytes back until it has enough to work with, and every SSE message
// must reach the browser the moment it is written.
import compression from 'compression'
import type { Request, RequestHandler, Response } from 'express'

/** Below this a response fits in one packet anyway; compressing it buys nothing. */
const THRESHOLD = '1kb'

export function shouldCompress(req: Request, res: Response): boolean {
  const type = String(res.getHeader('Content-Type') ?? '')
  if (/^\s*text\/event-stream/i.test(type)) return false
  return compression.filter(req, res)
}

export function compressResponses(): RequestHandler {
  return compression({ threshold: THRESHOLD, filter: shouldCompress })
}
