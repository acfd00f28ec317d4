// A MediaNest as a household has it after a few weeks, for the browser crawl and the
// README's screenshots: all five plugins on (embedded or test database), Plex and
// Overseerr connected to the test fakes, an owner and two people, films requested (one
// approved, one refused, so the inbox has news), a show to pick seasons of, downloads in
// every state, a site channel, and a past incident on the board.
// Requests go through MediaNest's own routes; the downloads and the incident are rows
// (nothing here runs yt-dlp or waits for a service to fail).
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startTestHost, type TestHost } from './test-host.ts'
import { startFakeOverseerr, type FakeOverseerr } from './fake-overseerr.ts'
import { startFakePms } from './fake-pms.ts'
import { startFakeReceiver } from './fake-receiver.ts'
import type { TestClient } from './http-client.ts'
import { configureOverseerr } from '../plugins/overseerr/harness.ts'
import { waitFor } from './wait-for.ts'

const FILMS = [
  ['Arrival', 2016], ['Paddington 2', 2017], ['Spirited Away', 2001], ['The Martian', 2015],
  ['Knives Out', 2019], ['Hidden Figures', 2016], ['Coco', 2017], ['Dune', 2021],
] as const
const SHOW_TMDB = 9100

type Person = { client: TestClient; user: { id: string; email: string } }

export interface Household {
  host: TestHost
  overseerr: FakeOverseerr
  owner: Person
  alex: Person
  /** Alex's first request (approved, sent to Overseerr). */
  requestId: string
  /** A show in Overseerr with three seasons, not requested. */
  showTmdbId: number
  close(): Promise<void>
}

/** A poster where TMDB's would be: a calm gradient, different for each path (for page.route). */
export function drawnPoster(url: string): string {
  const hue = [...url].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="185" height="278" viewBox="0 0 185 278"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">` +
    `<stop offset="0" stop-color="hsl(${hue} 45% 55%)"/><stop offset="1" stop-color="hsl(${(hue + 40) % 360} 50% 25%)"/></linearGradient></defs>` +
    `<rect width="185" height="278" fill="url(#g)"/><circle cx="92" cy="110" r="38" fill="hsl(${hue} 60% 80%)" opacity=".5"/></svg>`
}

export async function startHousehold(): Promise<Household> {
  const libraryPath = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-household-'))
  const [overseerr, pms, ntfy] = await Promise.all([startFakeOverseerr(), startFakePms(), startFakeReceiver('ntfy')])
  const host = await startTestHost({ firstPartyDefaults: true, plugins: { youtube: { enabled: true, config: { libraryPath } } } })
  const close = async (): Promise<void> => {
    await host.stop()
    await Promise.all([overseerr.close(), pms.close(), ntfy.close()])
    fs.rmSync(libraryPath, { recursive: true, force: true })
  }
  try {
    const owner = await host.signedIn(await host.createUser({ role: 'ADMIN', name: 'Sam Rivera', email: 'sam@medianest.example' }))
    const alex = await host.signedIn(await host.createUser({ name: 'Alex Chen', email: 'alex@medianest.example' }))
    await host.createUser({ name: 'Jonas Weber', email: 'jonas@medianest.example' })

    await configureOverseerr(host, overseerr.url, overseerr.apiKey)
    await owner.client.get('/admin/services/new?type=plex')
    await owner.client.post('/admin/services', { service_name: 'plex', service_name_other: '', service_url: pms.url, api_key: pms.token, enabled: '1', config_data: '{}' })
    await owner.client.get('/admin/notifications')
    await owner.client.post('/admin/notifications/channels', { kind: 'ntfy', name: 'Owner phone', url: `${ntfy.url}/house`, secret: '', priority: '', tags: '' })

    const ids = FILMS.map(([title, year], i) => {
      const tmdbId = 9000 + i
      overseerr.addTitle({ mediaType: 'movie', tmdbId, title, year, poster: `/poster-${i}.jpg`, overview: `${title} (${year}).` })
      return tmdbId
    })
    overseerr.addTitle({ mediaType: 'tv', tmdbId: SHOW_TMDB, title: 'Bluey', year: 2018, poster: '/poster-show.jpg', overview: 'A family of dogs.', seasons: [1, 2, 3].map((seasonNumber) => ({ seasonNumber, episodeCount: 10 })) })
    await alex.client.get('/overseerr')
    for (const id of ids.slice(0, 4)) await alex.client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(id) })
    const pending = await host.db('media_requests').where({ status: 'pending' }).orderBy('created_at')
    await owner.client.get('/admin/overseerr')
    await owner.client.post(`/admin/overseerr/requests/${pending[0].id}/approve`, {})
    await owner.client.post(`/admin/overseerr/requests/${pending[1].id}/reject`, { reason: 'We have it on the shelf already.' })

    // Downloads in each state a person sees (rows only: no job runs them).
    const download = (status: string, title: string, extra: Record<string, unknown>) => ({
      user_id: alex.user.id, playlist_url: `https://www.youtube.com/playlist?list=PLhouse${title.length}`, playlist_title: title,
      status, kind: 'playlist', folder: title, archive_key: randomUUID(), item_count: 12, plex_state: 'none', ...extra,
    })
    await host.db('youtube_downloads').insert([
      download('completed', 'Cooking with Nonna', { items_done: 12, file_paths: JSON.stringify([`${libraryPath}/Cooking with Nonna/001 - Pasta [abc].mkv`]), completed_at: new Date() }),
      download('downloading', 'Bird songs of the marsh', { items_done: 4, current_percent: 41.5 }),
      download('failed', 'Old lectures', { items_done: 0, error: 'yt-dlp exited with code 1: This video is unavailable.' }),
    ])
    await host.db('service_incidents').insert({
      service_name: 'plex', incident_type: 'down', description: 'Service failed 3 checks in a row: refused the connection.',
      severity: 'medium', status: 'resolved', created_at: new Date(Date.now() - 86_400_000), resolved_at: new Date(Date.now() - 86_000_000),
    })
    await waitFor('both services checked', async () => (await host.db('service_status').whereNotNull('status')).length >= 2, 30_000)
    const request = (await host.db('media_requests').orderBy('created_at').first())!
    return { host, overseerr, owner, alex, requestId: request.id, showTmdbId: SHOW_TMDB, close }
  } catch (error) {
    await close()
    throw error
  }
}
