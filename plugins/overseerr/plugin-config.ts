// overseerr's config slice (plugins.overseerr.config) and the context type its files share.
import { z, type PluginContext } from 'medianest/plugin-api'

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 30s, 5m or 1h')

export const overseerrConfig = z.object({
  /** Which roles' requests skip the admin's approval. */
  autoApprove: z.object({ ADMIN: z.boolean().default(true), USER: z.boolean().default(false) }).default({ ADMIN: true, USER: false }),
  /** New requests one person may make per hour (the core's rate limits count them). */
  requestsPerHour: z.int().min(1).max(10_000).default(20),
  /** Problem reports one person may make per hour. */
  problemsPerHour: z.int().min(1).max(10_000).default(10),
  /** How often the cluster schedule polls Overseerr for every open request. */
  syncEvery: duration.default('5m'),
  /** Open requests read from Overseerr per batch of the poll. */
  syncBatchSize: z.int().min(1).max(500).default(50),
  /** Attempts at sending an approved request before it is marked failed. */
  sendAttempts: z.int().min(1).max(20).default(6),
  /** Seconds a discovery row (trending, popular, upcoming) is kept before Overseerr is asked again (0: not kept). */
  discoveryCacheSeconds: z.int().min(0).max(86_400).default(300),
  /** How long /overseerr waits for a slow discovery row before showing it as on its way (it then loads on its own). */
  discoveryWaitMs: z.int().min(100).max(60_000).default(2_500),
  /** Posters and backdrops, served from MediaNest's own origin and kept on disk. */
  images: z.object({
    /** Where images are fetched: TMDB's image host, or a mirror of it (its origin only). */
    host: z.url({ protocol: /^https?$/, error: 'an http(s) address such as https://image.tmdb.org' })
      .refine((u) => new URL(u).pathname === '/' && !new URL(u).search && !new URL(u).username, 'only the origin, such as https://image.tmdb.org (no path, query or user)')
      .transform((u) => new URL(u).origin).default('https://image.tmdb.org'),
    /** Disk the cache may use, in MB; past it the least recently used images go. */
    cacheMB: z.int().min(10).max(100_000).default(500),
    /** Largest single image accepted from the host, in KB. */
    maxImageKB: z.int().min(50).max(50_000).default(5_120),
  }).prefault({}),
  /** Longest one Overseerr call may take, in milliseconds. */
  timeoutMs: z.int().min(500).max(60_000).default(10_000),
})

export type OverseerrConfig = z.output<typeof overseerrConfig>
export type OverseerrContext = PluginContext<OverseerrConfig>
