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
  const compress = compression({ threshold: THRESHOLD, filter: shouldCompress })
  // A client that accepts no encoding (scripts, health probes, load generators) gets the
  // response as it is: the package would still wrap every write and negotiate for nothing
  // (8 % of a signed-in page here). No Vary is needed for that: an uncompressed answer
  // suits every client, and the compressed ones carry their Vary.
  return (req, res, next) => (req.headers['accept-encoding'] ? compress(req, res, next) : next())
}
