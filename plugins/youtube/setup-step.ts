// The setup guide's step for YouTube (plugin API 1.6): done when yt-dlp answers and the
// library folder can be written. Both are settings of the config file, shown on the admin page.
import fs from 'node:fs/promises'
import type { SetupStep } from 'medianest/plugin-api'
import type { YoutubeContext } from './plugin-config.ts'
import type { Tools } from './tools.ts'

export function youtubeSetupStep(ctx: YoutubeContext, tools: Tools): SetupStep {
  return {
    id: 'library', priority: 30,
    title: 'Check the YouTube library folder and yt-dlp',
    why: 'People paste a playlist and it downloads into a folder Plex shows as a library.',
    href: '/admin/youtube',
    async state() {
      const unusable = await tools.unusable()
      if (unusable) return { status: 'attention', detail: unusable }
      try {
        await fs.access(ctx.config.libraryPath, fs.constants.W_OK)
      } catch {
        return { status: 'attention', detail: `The library folder ${ctx.config.libraryPath} does not exist or cannot be written (plugins.youtube.config.libraryPath).` }
      }
      return { status: 'done', detail: `Downloads go to ${ctx.config.libraryPath}.` }
    },
  }
}
