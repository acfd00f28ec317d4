// `medianest seed demo`: a few finished playlists and one that failed with the reason in
// words, so /youtube and its admin page show what they are for. Only for people this run
// created. Nothing is queued: the demo downloads nothing, and its files are not on disk.
import crypto from 'node:crypto'
import type { SeedContext } from 'medianest/plugin-api'
import { folderName } from '../library-paths.ts'

const DEMO = [
  { title: 'Home Cooking Basics', list: 'PLdemoHomeCooking', items: 12, status: 'completed', hoursAgo: 30 },
  { title: 'Bike Repair for Everyone', list: 'PLdemoBikeRepair', items: 8, status: 'completed', hoursAgo: 10 },
  { title: 'Private Concert Recordings', list: 'PLdemoPrivateConcert', items: 0, status: 'failed', hoursAgo: 4,
    error: 'YouTube says this playlist is private: make it public or unlisted, then try again.' },
] as const

export async function seed(ctx: SeedContext): Promise<void> {
  const people = ctx.users.filter((u) => u.created && u.role === 'USER')
  for (const [n, demo] of DEMO.entries()) {
    const person = people[n % Math.max(1, people.length)]
    if (!person) return
    const at = (hours: number) => ctx.db.raw(`now() - ? * interval '1 hour'`, [hours])
    const folder = folderName(demo.title, demo.list)
    await ctx.db('youtube_downloads').insert({
      user_id: person.id, playlist_url: `https://www.youtube.com/playlist?list=${demo.list}`, playlist_title: demo.title,
      kind: 'playlist', folder, archive_key: crypto.randomUUID(), status: demo.status,
      item_count: demo.items, items_done: demo.items,
      file_paths: JSON.stringify(Array.from({ length: demo.items }, (_, i) => `${folder}/${String(i + 1).padStart(2, '0')} - Part ${i + 1}.mp4`)),
      error: 'error' in demo ? demo.error : null, plex_state: 'none',
      created_at: at(demo.hoursAgo), updated_at: at(demo.hoursAgo - 1),
      ...(demo.status === 'completed' ? { completed_at: at(demo.hoursAgo - 1) } : {}),
    })
  }
}
