// The events youtube emits (API 1.1 event types): notifications turns them into words.
import type { EventType } from 'medianest/plugin-api'

export const COMPLETED = 'youtube.download.completed'
export const FAILED = 'youtube.download.failed'
export const PLAYLIST_UPDATED = 'youtube.playlist.updated'
export const DISK_FULL = 'youtube.disk.full'

const title = (p: { title?: unknown }) => String(p.title ?? 'Your download').slice(0, 200)

export const eventTypes: EventType[] = [
  {
    event: COMPLETED, title: 'Download finished', audience: 'subject',
    describe: (p: { title?: unknown; files?: unknown }) => ({
      title: 'Download finished',
      message: `${title(p)} is downloaded (${Number(p.files ?? 0)} files) and on its way into Plex.`,
      link: '/youtube',
    }),
  },
  {
    event: FAILED, title: 'Download failed', audience: 'subject',
    describe: (p: { title?: unknown; reason?: unknown }) => ({
      title: 'Download failed',
      message: `${title(p)} could not be downloaded: ${String(p.reason ?? 'no reason given')}. You can retry it.`,
      link: '/youtube',
    }),
  },
  {
    event: PLAYLIST_UPDATED, title: 'Followed playlist has new items', audience: 'subject',
    describe: (p: { title?: unknown; newItems?: unknown }) => ({
      title: 'New items in a followed playlist',
      message: `${title(p)} has ${Number(p.newItems ?? 0)} new items; they are being downloaded.`,
      link: '/youtube',
    }),
  },
  {
    event: DISK_FULL, title: 'Library disk full', audience: 'admins',
    describe: (p: { title?: unknown }) => ({
      title: 'The YouTube library is out of space',
      message: `${title(p)} stopped because the disk under the library is full. Downloads fail until space is freed; partial files are kept for a retry.`,
      link: '/admin/youtube',
    }),
  },
]
