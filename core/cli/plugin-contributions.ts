// What each enabled plugin's register() contributes, for `medianest plugins`, without a
// database or a server: register() is wiring only, so it runs against a context whose
// services are stand-ins that refuse to be used. A plugin that uses one during
// register() breaks the contract, and the listing says so as a problem.
import type { RequestHandler } from 'express'
import type { Config } from '../config.ts'
import type { CoreServices } from '../core-services.ts'
import type { PluginHost } from '../plugins/host.ts'
import { ViewerCaches } from '../viewer-cache.ts'
import type { Logger } from 'winston'

/** Any property is another stand-in; calling one throws, naming what was called. */
function unavailable(what: string): never {
  return new Proxy(function unavailableService() {}, {
    get: (_target, prop) => (prop === 'then' ? undefined : unavailable(`${what}.${String(prop)}`)),
    apply: () => { throw new Error(`${what}() is not available while listing plugins (register() must not do I/O)`) },
  }) as never
}

export function registerForListing(host: PluginHost, config: Config, log: Logger): void {
  const pass: RequestHandler = (_req, _res, next) => next()
  const core: CoreServices = {
    config,
    db: unavailable('ctx.db'),
    log,
    views: { addNamespace: () => undefined, forPlugin: () => unavailable('ctx.views') } as unknown as CoreServices['views'],
    queue: unavailable('jobs'),
    bus: unavailable('events'),
    live: unavailable('ctx.live'),
    mail: unavailable('ctx.mail'),
    // Making a cache does no I/O; using one would, through ctx.db.
    viewerCaches: new ViewerCaches(unavailable('ctx.db'), log),
    secrets: unavailable('ctx.secrets'),
    services: unavailable('ctx.services'),
    users: unavailable('ctx.users'),
    eventTypes: unavailable('ctx.events'),
    session: unavailable('ctx.identity'),
    guards: { requireUser: pass, requireAdmin: pass },
    provided: new Map(),
  }
  host.register(core)
}
