// A typed client of Uptime Kuma's public status page (CONTRACTS.md "Uptime Kuma"): the
// page, its heartbeats, and /metrics when an API key is set. Versions disagree (one
// `incident` or a list of `incidents`; an unknown slug that hangs, 404s, or answers
// empty lists), so every call has a timeout and every shape is checked here.
import { UpstreamError, z, type PluginContext } from 'medianest/plugin-api'

export const KUMA_SERVICE = 'Uptime Kuma'

const statusPageSchema = z.object({
  config: z.object({ slug: z.string(), title: z.string().nullable().optional() }).loose(),
  incident: z.unknown().optional(),
  incidents: z.array(z.unknown()).optional(),
  publicGroupList: z.array(z.object({
    name: z.string(),
    monitorList: z.array(z.object({ id: z.number().int(), name: z.string(), type: z.string().optional() }).loose()),
  }).loose()),
}).loose()

const heartbeatSchema = z.object({
  heartbeatList: z.record(z.string(), z.array(z.object({
    status: z.number().int(),
    time: z.string(),
    ping: z.number().nullable().optional(),
    msg: z.string().nullable().optional(),
  }).loose())),
  uptimeList: z.record(z.string(), z.number()),
}).loose()

export interface KumaMonitor { id: number; name: string; type: string | null; group: string }
export interface KumaBeat { status: number; at: Date; ping: number | null }
export interface KumaSnapshot {
  title: string
  monitors: KumaMonitor[]
  beats: Map<number, KumaBeat[]>
  uptime24: Map<number, number>
  incidents: number
  /** From /metrics, when an API key is set: response time by monitor name. */
  metricsPing: Map<string, number> | null
}

/** Kuma writes UTC without a zone ("2026-11-24 16:00:00.000"): read it as UTC, never local time. */
export function parseKumaTime(text: string): Date | null {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)?$/.exec(text.trim())
  if (!m) return null
  const d = new Date(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`)
  return Number.isNaN(d.getTime()) ? null : d
}

export class KumaConfigError extends Error {}

export async function readKuma(
  ctx: Pick<PluginContext, 'upstream'>, baseUrl: string, slug: string, apiKey: string | null, timeoutMs: number, signal?: AbortSignal,
): Promise<KumaSnapshot> {
  const base = baseUrl.replace(/\/+$/, '')
  // Every read is a check: no breaker, which would answer the next checks for it while
  // the outage is still news. The client's quick retries stay: a kept-alive connection
  // the service dropped fails once for reasons that say nothing about the service.
  const client = ctx.upstream({ service: KUMA_SERVICE, baseUrl: base, timeoutMs, breaker: false })
  const path = encodeURIComponent(slug)
  let page: z.output<typeof statusPageSchema>
  try {
    page = (await client.request({ path: `/api/status-page/${path}`, schema: statusPageSchema, signal })).data
  } catch (error) {
    if (error instanceof UpstreamError && error.upstreamStatus === 404) {
      throw new KumaConfigError(`Uptime Kuma has no public status page "${slug}": check the slug, and that the page is published.`)
    }
    throw error
  }
  const beats = (await client.request({ path: `/api/status-page/heartbeat/${path}`, schema: heartbeatSchema, signal })).data
  const monitors = page.publicGroupList.flatMap((g) => g.monitorList.map((m) => ({ id: m.id, name: m.name, type: m.type ?? null, group: g.name })))
  if (!monitors.length) {
    throw new KumaConfigError(`The Uptime Kuma status page "${slug}" lists no monitors: add public monitors to it, or check the slug (an unknown or private page looks empty).`)
  }
  const byId = new Map<number, KumaBeat[]>()
  for (const m of monitors) {
    const list = beats.heartbeatList[String(m.id)] ?? []
    byId.set(m.id, list.flatMap((b) => {
      const at = parseKumaTime(b.time)
      // null and -1 both mean "no figure".
      const ping = typeof b.ping === 'number' && b.ping >= 0 ? b.ping : null
      return at ? [{ status: b.status, at, ping }] : []
    }).sort((a, b) => a.at.getTime() - b.at.getTime()))
  }
  const uptime24 = new Map<number, number>()
  for (const m of monitors) {
    const v = beats.uptimeList[`${m.id}_24`]
    if (typeof v === 'number') uptime24.set(m.id, v)
  }
  const incidents = Array.isArray(page.incidents) ? page.incidents.length : page.incident ? 1 : 0
  return {
    title: page.config.title ?? slug, monitors, beats: byId, uptime24, incidents,
    metricsPing: apiKey ? await readMetricsPing(client, apiKey, signal) : null,
  }
}

/** monitor_response_time by monitor name; null (not fatal) when /metrics refuses or fails. */
async function readMetricsPing(client: ReturnType<PluginContext['upstream']>, apiKey: string, signal?: AbortSignal): Promise<Map<string, number> | null> {
  try {
    const auth = `Basic ${Buffer.from(`medianest:${apiKey}`).toString('base64')}`
    const { data } = await client.request<unknown>({ path: '/metrics', headers: { Authorization: auth, Accept: 'text/plain' }, signal })
    if (typeof data !== 'string') return null
    const out = new Map<string, number>()
    for (const line of data.split('\n')) {
      const m = /^monitor_response_time\{(.*)\}\s+(-?[\d.]+)$/.exec(line)
      if (!m) continue
      const name = /monitor_name="((?:[^"\\]|\\.)*)"/.exec(m[1])
      const value = Number(m[2])
      if (name && value >= 0) out.set(name[1].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)), value)
    }
    return out
  } catch {
    return null
  }
}
