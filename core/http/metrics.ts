// GET /metrics: Prometheus's text format, for a scraper that sends the bearer token set in
// metrics.token (MEDIANEST_METRICS_TOKEN); without that setting the path is a 404, and a
// wrong or missing token a 401 with one throttled log line that never holds the token.
// prom-client writes the format (names, HELP/TYPE lines, escaped label values); the core
// gives the job queue and the live streams, each plugin its own gauges (API 1.10), asked
// at each scrape with a bound so one slow plugin cannot hold up the rest.
import crypto from 'node:crypto'
import type { RequestHandler, Response } from 'express'
import type { Logger } from 'winston'
import type { Knex } from 'knex'
import { Gauge, Registry } from 'prom-client'
import type { PluginMetric } from '../plugin-api.ts'
import { throttledWarn } from './database-outage.ts'

const COLLECT_MS = 2000

export interface MetricsDeps {
  token: string | undefined
  db: Knex
  liveStreams: () => number
  pluginMetrics: () => Array<PluginMetric & { plugin: string }>
  log: Logger
}

export function metricsRoute(deps: MetricsDeps): RequestHandler {
  const refused = throttledWarn(deps.log, 60_000)
  let registry: Registry | null = null
  const expected = deps.token ? crypto.createHash('sha256').update(deps.token).digest() : null
  return (req, res, next) => {
    if (req.path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) return next()
    if (!expected) return next()
    res.setHeader('Cache-Control', 'no-store')
    const given = /^Bearer (\S{1,512})$/.exec(req.get('authorization') ?? '')?.[1]
    // Compared as hashes: equal length, constant time, whatever was sent.
    if (!given || !crypto.timingSafeEqual(crypto.createHash('sha256').update(given).digest(), expected)) {
      refused(`metrics: refused a scrape from ${req.ip} (${given ? 'wrong token' : 'no bearer token'})`)
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"')
      return res.status(401).type('text/plain').send('A bearer token is needed: the one set in metrics.token.\n')
    }
    registry ??= build(deps)
    void scrape(registry, res).catch(next)
  }
}

async function scrape(registry: Registry, res: Response): Promise<void> {
  const text = await registry.metrics()
  res.type(registry.contentType).send(text)
}

function build(deps: MetricsDeps): Registry {
  const registry = new Registry()
  new Gauge({
    name: 'medianest_jobs', help: 'Jobs waiting or running, by status and job name.', labelNames: ['status', 'name'], registers: [registry],
    async collect() {
      this.reset()
      const rows: Array<{ status: string; name: string; n: number | string }> = await deps.db('jobs')
        .whereIn('status', ['queued', 'running']).groupBy('status', 'name').select('status', 'name', deps.db.raw('count(*)::int as n'))
      for (const r of rows) this.set({ status: r.status, name: r.name }, Number(r.n))
    },
  })
  new Gauge({
    name: 'medianest_live_streams', help: 'Live update streams (/events) open in this process.', registers: [registry],
    collect() { this.set(deps.liveStreams()) },
  })
  for (const m of deps.pluginMetrics()) {
    const name = `medianest_${m.plugin.replace(/-/g, '_')}_${m.name}`
    // Not a prom-client Gauge: one without labels would show a made-up 0 when its plugin
    // could not answer. This one shows what the plugin said, or no sample at all.
    registry.registerMetric({
      name,
      async get() {
        let timer: NodeJS.Timeout | undefined
        const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`did not answer within ${COLLECT_MS} ms`)), COLLECT_MS) })
        let values: Array<{ labels: Record<string, string>; value: number }> = []
        try {
          const samples = await Promise.race([Promise.resolve().then(() => m.collect()), late])
          values = samples.filter((s) => Number.isFinite(s.value)).map((s) => ({ labels: s.labels ?? {}, value: s.value }))
        } catch (error) {
          // One plugin's failure leaves its gauge empty this scrape; the rest are served.
          deps.log.warn(`metrics: ${name} could not be collected: ${(error as Error).message}`)
        } finally {
          clearTimeout(timer)
        }
        return { name, help: m.help, type: 'gauge', aggregator: 'sum', values }
      },
      reset() {},
    } as unknown as Parameters<Registry['registerMetric']>[0])
  }
  return registry
}
