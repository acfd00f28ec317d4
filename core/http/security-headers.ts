// helmet with a CSP htmx 4 works under: no inline script, no eval (we use no hx-on,
// js: values or trigger filters), no framing, forms only to ourselves.
import helmet from 'helmet'
import type { RequestHandler, Response } from 'express'

/**
 * helmet's headers do not depend on the request: they are read from it once, at boot,
 * and set in one loop per response (its chain of a dozen middlewares cost every page ~5 %).
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  const headers = headersOf(helmetFor(options))
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value)
    next()
  }
}

/** Lets this one response show https images from anywhere (a person's own avatar address). */
export function allowHttpsImages(res: Response): void {
  const csp = res.getHeader('Content-Security-Policy')
  if (typeof csp === 'string') res.setHeader('Content-Security-Policy', csp.replace("img-src 'self'", "img-src 'self' https:"))
}

/** What a middleware sets on a response that has nothing yet; refused if it reads the request or goes async. */
export function headersOf(middleware: RequestHandler): Array<[string, string]> {
  const set = new Map<string, string>()
  const res = {
    setHeader: (name: string, value: string) => { set.set(name, value) },
    removeHeader: (name: string) => { set.delete(name) },
    getHeader: (name: string) => set.get(name),
  }
  let nextCalled = false
  middleware({} as never, res as never, (error?: unknown) => {
    if (error) throw error
    nextCalled = true
  })
  if (!nextCalled) throw new Error('security headers: the middleware did not finish synchronously')
  return [...set]
}

function helmetFor(options: { https: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // Our own origin only: posters come through the plugins' image routes. The one page
        // that shows an address a person typed (their avatar on /account) widens it for
        // itself (allowHttpsImages); proxying arbitrary URLs is the hole that hit our peers.
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'same-origin' },
    xFrameOptions: { action: 'deny' },
  })
}
