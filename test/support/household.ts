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
import zlib from 'node:zlib'
import { startTestHost, type TestHost } from './test-host.ts'
import { startFakeOverseerr, type FakeOverseerr } from './fake-overseerr.ts'
import { startFakeImageHost } from './fake-image-host.ts'
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
  /** A film in Plex, with a problem Alex reported. */
  inPlexTmdbId: number
  close(): Promise<void>
}

/** A poster as TMDB's image host would serve it: a calm gradient PNG, different for each path. */
export function drawnPoster(seed: string, width = 185, height = 278): Buffer {
  const hue = zlib.crc32(seed) % 360
  const rgb = (h: number, l: number) => {
    // HSL with 45 % saturation to RGB, enough for a gradient.
    const a = 0.45 * Math.min(l, 1 - l)
    const f = (n: number) => { const k = (n + h / 30) % 12; return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)))) }
    return [f(0), f(8), f(4)]
  }
  const rows = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) {
    const [r, g, b] = rgb((hue + (40 * y) / height) % 360, 0.55 - (0.3 * y) / height)
    const at = y * (width * 3 + 1)
    for (let x = 0; x < width; x++) rows.set([r, g, b], at + 1 + x * 3)
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const out = Buffer.alloc(body.length + 8)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(zlib.crc32(body), body.length + 4)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8)
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))])
}

export async function startHousehold(): Promise<Household> {
  const libraryPath = fs.mkdtempSync(path.join(os.tmpdir(), 'medianest-household-'))
  const [overseerr, pms, ntfy, images] = await Promise.all([startFakeOverseerr(), startFakePms(), startFakeReceiver('ntfy'), startFakeImageHost()])
  const host = await startTestHost({
    firstPartyDefaults: true,
    plugins: { youtube: { enabled: true, config: { libraryPath } }, overseerr: { enabled: true, config: { images: { host: images.url } } } },
  })
  const close = async (): Promise<void> => {
    await host.stop()
    await Promise.all([overseerr.close(), pms.close(), ntfy.close(), images.close()])
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
      overseerr.addTitle({ mediaType: 'movie', tmdbId, title, year, poster: `/poster-${i}.jpg`, backdrop: `/backdrop-${i}.jpg`, overview: `${title} (${year}).` })
      return tmdbId
    })
    overseerr.addTitle({ mediaType: 'tv', tmdbId: SHOW_TMDB, title: 'Bluey', year: 2018, poster: '/poster-show.jpg', backdrop: '/backdrop-show.jpg', overview: 'A family of dogs.', seasons: [1, 2, 3].map((seasonNumber) => ({ seasonNumber, episodeCount: 10 })) })
    for (const name of [...FILMS.map((_, i) => String(i)), 'show']) {
      images.addImage(`/t/p/w300/poster-${name}.jpg`, drawnPoster(`poster-${name}`), 'image/png')
      images.addImage(`/t/p/w1280/backdrop-${name}.jpg`, drawnPoster(`backdrop-${name}`, 640, 200), 'image/png')
    }
    await alex.client.get('/overseerr')
    for (const id of ids.slice(0, 4)) await alex.client.post('/overseerr/requests', { mediaType: 'movie', tmdbId: String(id) })
    const pending = await host.db('media_requests').where({ status: 'pending' }).orderBy('created_at')
    await owner.client.get('/admin/overseerr')
    await owner.client.post(`/admin/overseerr/requests/${pending[0].id}/approve`, {})
    await owner.client.post(`/admin/overseerr/requests/${pending[1].id}/reject`, { reason: 'We have it on the shelf already.' })
    overseerr.setAvailability('movie', ids[4], 5)
    await alex.client.post('/overseerr/problems', { mediaType: 'movie', tmdbId: String(ids[4]), problemType: 'audio', message: 'The voices drift out of sync after an hour.' })

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
    return { host, overseerr, owner, alex, requestId: request.id, showTmdbId: SHOW_TMDB, inPlexTmdbId: ids[4], close }
  } catch (error) {
    await close()
    throw error
  }
}
