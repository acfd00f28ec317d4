// `medianest seed demo`: requests in each state a household sees (waiting for approval,
// approved and on its way, in Plex, declined), each with its timeline, so the request
// pages and the admin queue have something to show. Only for people this run created.
// They carry made-up Overseerr ids; the demo's Overseerr is not reachable, and the pages
// say so where they would ask it.
import type { SeedContext } from 'medianest/plugin-api'

const DEMO = [
  { title: 'Dune: Part Two', media_type: 'movie', tmdb_id: 693134, year: 2024, status: 'completed', path: ['pending', 'approved', 'completed'], hoursAgo: 50 },
  { title: 'Severance', media_type: 'tv', tmdb_id: 95396, year: 2022, status: 'processing', path: ['pending', 'approved', 'processing'], hoursAgo: 20 },
  { title: 'The Wild Robot', media_type: 'movie', tmdb_id: 1184918, year: 2024, status: 'pending', path: ['pending'], hoursAgo: 3 },
  { title: 'Madame Web', media_type: 'movie', tmdb_id: 634492, year: 2024, status: 'rejected', path: ['pending', 'rejected'], hoursAgo: 30 },
] as const

export async function seed(ctx: SeedContext): Promise<void> {
  const people = ctx.users.filter((u) => u.created && u.role === 'USER')
  const admin = ctx.users.find((u) => u.role === 'ADMIN')
  // One title, one open request (the plugin's rule): each person asks for different ones.
  for (const [n, demo] of DEMO.entries()) {
    const person = people[n % Math.max(1, people.length)]
    if (!person) return
    const at = (hours: number) => ctx.db.raw(`now() - ? * interval '1 hour'`, [hours])
    const [row] = await ctx.db('media_requests').insert({
      user_id: person.id, title: demo.title, media_type: demo.media_type, tmdb_id: demo.tmdb_id, year: demo.year, status: demo.status,
      overseerr_id: 9000 + n, all_seasons: demo.media_type === 'tv', created_at: at(demo.hoursAgo), updated_at: at(demo.hoursAgo / 2),
      ...(demo.status === 'completed' ? { completed_at: at(demo.hoursAgo / 3) } : {}),
    }).returning('id')
    let from: string | null = null
    for (const [step, to] of demo.path.entries()) {
      const byAdmin = to === 'approved' || to === 'rejected'
      await ctx.db('media_request_timeline').insert({
        request_id: row.id, at: at(demo.hoursAgo - step), actor_user_id: byAdmin ? admin?.id ?? null : step === 0 ? person.id : null,
        actor: byAdmin ? admin?.name ?? 'An admin' : step === 0 ? person.name ?? person.email : 'Overseerr', from_status: from, to_status: to,
        note: to === 'rejected' ? 'Not for this household, sorry.' : null,
      })
      from = to
    }
  }
}
