// Which yt-dlp and ffmpeg this install found: checked at start, shown on the admin page,
// and consulted before every submission (a missing yt-dlp refuses it with the reason).
import { probeVersion, type ToolCheck } from './yt-dlp.ts'
import type { Clock } from 'medianest/plugin-api'
import type { YoutubeConfig } from './plugin-config.ts'

/** Debian's 2023 build cannot download from YouTube today: older than this gets a warning. */
export const STALE_AFTER_DAYS = 90
const RECHECK_MS = 60_000

export interface ToolState {
  ytDlp: ToolCheck | null
  ffmpeg: ToolCheck | null
  checkedAt: number
}

export interface Tools {
  state(): ToolState
  check(): Promise<ToolState>
  /** Null when yt-dlp is usable, else the reason in words (re-checked at most once a minute). */
  unusable(): Promise<string | null>
  /** How many days ago the yt-dlp found was released (its version is its date), or null. */
  ageDays(): number | null
  /** A warning when yt-dlp is old, with the commands that install a current one; else null. */
  staleWarning(): string | null
}

export function createTools(config: Pick<YoutubeConfig, 'ytDlpPath' | 'ffmpegPath'>, clock: Clock): Tools {
  let state: ToolState = { ytDlp: null, ffmpeg: null, checkedAt: 0 }
  const tools: Tools = {
    state: () => state,
    async check() {
      const [ytDlp, ffmpeg] = await Promise.all([probeVersion(config.ytDlpPath, '--version'), probeVersion(config.ffmpegPath, '-version')])
      state = { ytDlp, ffmpeg, checkedAt: clock.nowMs() }
      return state
    },
    async unusable() {
      if (!state.ytDlp || (!state.ytDlp.ok && clock.nowMs() - state.checkedAt > RECHECK_MS)) await tools.check()
      const y = state.ytDlp!
      return y.ok ? null : `Downloads are unavailable: ${y.message} An admin can fix this on Admin → YouTube.`
    },
    ageDays() {
      const y = state.ytDlp
      return y?.ok && y.released ? Math.floor((clock.nowMs() - y.released.getTime()) / 86_400_000) : null
    },
    staleWarning() {
      const days = tools.ageDays()
      if (days === null || days <= STALE_AFTER_DAYS) return null
      const y = state.ytDlp as { version: string }
      return `yt-dlp ${y.version} is ${days} days old. YouTube changes often and builds older than ${STALE_AFTER_DAYS} days stop working: `
        + 'install a current one with “pipx install yt-dlp” (or “pip install -U yt-dlp”), then set the youtube plugin’s ytDlpPath to it (pipx puts it in ~/.local/bin/yt-dlp) and restart.'
    },
  }
  return tools
}
