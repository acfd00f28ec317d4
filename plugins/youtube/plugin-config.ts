// youtube's config slice (plugins.youtube.config) and the context type its files share.
import path from 'node:path'
import { z, type PluginContext } from 'medianest/plugin-api'
import { DEFAULT_PROFILES, DEFAULT_TEMPLATE, profileSchema, templateSchema } from './profiles.ts'

/** YouTube's own hosts: the only ones accepted unless an admin adds more. */
export const YOUTUBE_HOSTS = ['youtube.com', 'www.youtube.com', 'm.youtube.com', 'music.youtube.com', 'youtu.be'] as const

const host = z.string().trim().toLowerCase().regex(/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/, 'a host name or address, with an optional port')

export const youtubeConfig = z.object({
  /** The program to run: Debian's build is too old for YouTube today; point this at a current one. */
  ytDlpPath: z.string().trim().min(1).default('yt-dlp'),
  ffmpegPath: z.string().trim().min(1).default('ffmpeg'),
  /** Where finished files go, one folder per playlist: a folder the Plex server sees. */
  libraryPath: z.string().trim().min(1).default('data/youtube').transform((p) => path.resolve(p)),
  /** The same folder as the Plex server sees it, when Plex mounts it elsewhere (a container). */
  plexPath: z.string().trim().min(1).optional(),
  /** Hosts accepted besides YouTube's (tests add their loopback server here). */
  allowedHosts: z.array(host).max(100).default([]),
  /** Downloads running at once in this process. */
  maxConcurrent: z.int().min(1).max(16).default(2),
  /** Submissions per person per hour. */
  submissionsPerHour: z.int().min(1).max(1000).default(5),
  /** Queued and running downloads one person may have at a time. */
  maxActivePerUser: z.int().min(1).max(100).default(3),
  /** Followed playlists one person may have. */
  maxFollowsPerUser: z.int().min(0).max(1000).default(10),
  /** How often a followed playlist is checked for new items, in hours (each follow may override it). */
  followEveryHours: z.number().min(0.01).max(24 * 30).default(6),
  /** How often the cluster looks for followed playlists that are due (each has its own interval). */
  followCheckEvery: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration like 30s, 5m or 1h').default('5m'),
  /** How often the cluster applies each source's retention rule. */
  retentionCheckEvery: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration like 30s, 5m or 1h').default('1h'),
  /** Longest a metadata read (`--flat-playlist -J`) may take. */
  metadataTimeoutMs: z.int().min(1000).max(300_000).default(60_000),
  /** A download that receives nothing for this long fails the attempt ("the video host stopped sending data"). */
  stallTimeoutMs: z.int().min(1000).max(3_600_000).default(300_000),
  /** How many of a channel's newest uploads its first download takes, unless the person says otherwise. */
  newestDefault: z.int().min(1).max(5000).default(10),
  /** The most a person may ask for there. */
  newestMax: z.int().min(1).max(5000).default(50),
  /** Most items one submission may queue. */
  maxItems: z.int().min(1).max(5000).default(500),
  /** Below this much free space under libraryPath a download does not start (MiB). */
  minFreeMiB: z.int().min(0).max(1_000_000).default(200),
  /** Longest the Plex step waits for a scan to show the new files, per attempt. */
  plexWaitMs: z.int().min(0).max(600_000).default(30_000),
  /** Quality profiles a person picks from (yt-dlp format, container, subtitle languages). */
  profiles: z.array(profileSchema).min(1).max(20).default(DEFAULT_PROFILES),
  /** The profile preselected in the form; one of profiles' ids. */
  defaultProfile: z.string().default('best-1080'),
  /** Each file's name inside its playlist's folder (a yt-dlp output template, checked here). */
  fileTemplate: templateSchema.default(DEFAULT_TEMPLATE),
}).superRefine((c, check) => {
  const ids = c.profiles.map((p) => p.id)
  const twice = ids.find((id, i) => ids.indexOf(id) !== i)
  if (twice) check.addIssue({ code: 'custom', path: ['profiles'], message: `two profiles have the id "${twice}"` })
  if (c.newestDefault > c.newestMax) check.addIssue({ code: 'custom', path: ['newestDefault'], message: `must not be more than newestMax (${c.newestMax})` })
  if (!ids.includes(c.defaultProfile)) check.addIssue({ code: 'custom', path: ['defaultProfile'], message: `"${c.defaultProfile}" is not one of the profiles (${ids.join(', ')})` })
})

export type YoutubeConfig = z.output<typeof youtubeConfig>
export type YoutubeContext = PluginContext<YoutubeConfig>
