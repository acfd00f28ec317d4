// `medianest seed demo`: an inbox with something in it for each demo person, read and
// unread, over the last two days, so the bell and /notifications show what they are for.
// Only for people this run created: a second run adds none.
import crypto from 'node:crypto'
import type { SeedContext } from 'medianest/plugin-api'
import { insertNotifications } from '../notifications.ts'

const DEMO = [
  { type: 'overseerr.request.approved', title: 'Approved: Dune: Part Two', message: 'Your request for Dune: Part Two was approved.', link: '/overseerr', hoursAgo: 40, read: true },
  { type: 'overseerr.request.completed', title: 'Dune: Part Two is available', message: 'It is in Plex now.', link: '/overseerr', hoursAgo: 20, read: true },
  { type: 'youtube.download.completed', title: 'Download finished', message: 'Home Cooking Basics is in Plex.', link: '/youtube', hoursAgo: 5, read: false },
  { type: 'monitor.incident.opened', title: 'Radarr is down', message: 'The monitor opened an incident.', link: '/monitor', hoursAgo: 1, read: false },
]

export async function seed(ctx: SeedContext): Promise<void> {
  const wanted = new Map<string, { userId: string; demo: typeof DEMO[number] }>()
  for (const user of ctx.users.filter((u) => u.created)) {
    DEMO.forEach((demo, i) => wanted.set(crypto.createHash('sha256').update(`demo\n${user.id}\n${i}`).digest('hex'), { userId: user.id, demo }))
  }
  const rows = await insertNotifications(ctx.db, [...wanted].map(([factKey, { userId, demo }]) => ({
    userId, type: demo.type, title: demo.title, message: demo.message, factKey, metadata: { link: demo.link, plugin: demo.type.split('.')[0] },
  })))
  // Spread over the last two days, the older ones read.
  for (const row of rows) {
    const { demo } = wanted.get(row.fact_key)!
    await ctx.db('notifications').where({ id: row.id }).update({
      created_at: ctx.db.raw(`now() - ? * interval '1 hour'`, [demo.hoursAgo]),
      ...(demo.read ? { read: true, read_at: ctx.db.raw(`now() - ? * interval '1 hour'`, [demo.hoursAgo - 0.5]) } : {}),
    })
  }
}
