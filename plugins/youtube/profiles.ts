// Quality profiles and the file name template: what an admin configures, checked when the
// config is read (a bad one stops MediaNest at start with the reason, not a download at
// 3 a.m.), and turned into yt-dlp options here and nowhere else.
import { z } from 'medianest/plugin-api'

export const AUDIO_CONTAINERS = ['m4a', 'mp3', 'opus'] as const
const CONTAINERS = ['mp4', 'mkv', 'webm', ...AUDIO_CONTAINERS] as const
/** Containers ffmpeg can put subtitle tracks in (mp4 as mov_text); others keep them beside the file. */
const EMBEDS_SUBTITLES = new Set(['mp4', 'mkv', 'webm'])

/** yt-dlp's format selector language (`bv*[height<=1080]+ba/b`): no spaces, quotes or a leading dash. */
const FORMAT = /^[A-Za-z0-9_*+/,.:?!=<>~^$()[\]|-]{1,300}$/

export const profileSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes'),
  label: z.string().trim().min(1).max(80),
  /** yt-dlp's -f selector. */
  format: z.string().regex(FORMAT, 'a yt-dlp format selector such as bv*[height<=1080]+ba/b').refine((f) => !f.startsWith('-'), 'must not start with a dash'),
  /** The file's container: a video one (merged into it) or an audio one (extracted with -x). */
  container: z.enum(CONTAINERS),
  /** Subtitle languages to fetch ('en', 'pt-BR'): embedded where the container holds them, beside the file otherwise. */
  subtitles: z.array(z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'a language code such as en or pt-BR')).max(10).default([]),
})
export type Profile = z.output<typeof profileSchema>

export const DEFAULT_PROFILES: Profile[] = [
  { id: 'best-1080', label: 'Best up to 1080p', format: 'bv*[height<=1080]+ba/b[height<=1080]/b', container: 'mp4', subtitles: [] },
  { id: 'up-to-720', label: 'Up to 720p', format: 'bv*[height<=720]+ba/b[height<=720]/b', container: 'mp4', subtitles: [] },
  { id: 'audio-m4a', label: 'Audio only (m4a)', format: 'ba[ext=m4a]/ba/b', container: 'm4a', subtitles: [] },
]

/** Fields a file name may use: each says something about the video, none is a path. */
const TEMPLATE_FIELDS = new Set([
  'id', 'title', 'fulltitle', 'upload_date', 'release_date', 'timestamp', 'playlist_index', 'playlist_autonumber',
  'playlist_title', 'uploader', 'channel', 'ext', 'duration', 'autonumber', 'display_id', 'season_number', 'episode_number',
])
export const DEFAULT_TEMPLATE = '%(upload_date>%Y-%m-%d,release_date>%Y-%m-%d|undated)s - %(title).150B [%(id)s].%(ext)s'

/**
 * Why a file name template is refused, or null. It names one file inside the source's
 * folder: no separator or `..` anywhere (not even in a default or a date format), only the
 * fields above, the video id (two videos with one title stay two files) and the extension last.
 */
export function templateProblem(template: string): string | null {
  if (template.length > 300) return 'is longer than 300 characters'
  if (/[/\\]/.test(template)) return 'contains / or \\: a file name template names one file inside the source’s folder'
  if (template.includes('..')) return 'contains ..'
  if (/^[.~]/.test(template)) return 'starts with . or ~'
  if (/[\u0000-\u001f\u007f]/.test(template)) return 'contains a control character'
  const fields = [...template.matchAll(/%\(([^)]*)\)/g)].map((m) => m[1])
  if (template.replace(/%\([^)]*\)/g, '').includes('%(')) return 'has a %( without its )'
  for (const inner of fields) {
    // name[.keys][>strftime][,alternate…][&replacement][|default]: every alternate's name counts.
    const names = inner.split('|')[0].split('&')[0].split(',').map((alt) => alt.split(/[.>+-]/)[0].trim())
    const unknown = names.find((n) => !TEMPLATE_FIELDS.has(n))
    if (unknown !== undefined) return `uses the field "${unknown}"; use only ${[...TEMPLATE_FIELDS].join(', ')}`
  }
  if (!fields.some((f) => f === 'id')) return 'does not contain %(id)s'
  if (!template.endsWith('.%(ext)s')) return 'does not end with .%(ext)s'
  return null
}

export const templateSchema = z.string().superRefine((t, check) => {
  const problem = templateProblem(t)
  if (problem) check.addIssue({ code: 'custom', message: `the file name template ${problem}` })
})

/** The yt-dlp options of a profile; those that need ffmpeg are left out without it (the row says what is missing). */
export function profileArgs(profile: Profile, ffmpeg: boolean): string[] {
  const audio = (AUDIO_CONTAINERS as readonly string[]).includes(profile.container)
  const args = ['-f', profile.format]
  if (audio) {
    if (ffmpeg) args.push('-x', '--audio-format', profile.container)
  } else {
    args.push('--merge-output-format', profile.container)
  }
  if (ffmpeg) args.push('--embed-metadata', '--embed-chapters')
  if (profile.subtitles.length) {
    // --embed-subs alone fetches them and deletes the files once inside; --write-subs keeps them beside.
    args.push('--sub-langs', profile.subtitles.join(','), ffmpeg && EMBEDS_SUBTITLES.has(profile.container) ? '--embed-subs' : '--write-subs')
  }
  return args
}

/** What a download without ffmpeg goes without, in words. */
export function withoutFfmpeg(profile: Profile): string {
  const audio = (AUDIO_CONTAINERS as readonly string[]).includes(profile.container)
  const embedded = profile.subtitles.length ? 'metadata, chapters or subtitles' : 'metadata or chapters'
  return `ffmpeg is not usable, so ${audio ? `the audio was kept as sent (not converted to ${profile.container}), ` : ''}no ${embedded} were embedded, and thumbnails stay as sent`
}
