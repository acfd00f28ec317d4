// Issue 30's benchmark: the discovery page `/overseerr` with its five rows cached, and a
// poster served from the image cache, on the install as people get it (bench/install.ts:
// all five first-party plugins on, PostgreSQL, NODE_ENV=production, the same realistic
// data), plus a loopback Overseerr with 120 titles configured as the overseerr service
// and a loopback TMDB image host with a 25–40 KB poster for each, set as `images.host`.
// Measured against a bare Express "hello" in the same run.
//
//   npx tsx bench/overseerr-discovery.ts                               from the sources
//   BENCH_ROUNDS=3 npx tsx bench/overseerr-discovery.ts                interleaved rounds: medians and min–max
//   BENCH_ONLY=overseerr npx tsx --cpu-prof bench/overseerr-discovery.ts   only the targets whose name contains it (a profile)
//
// The database as bench/install.ts: DATABASE_URL (an empty one), else a fresh
// `medianest_bench_<pid>` on BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres),
// dropped at the end; BENCH_DB=pglite for PGlite. Knobs: BENCH_CONNECTIONS (50),
// BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_ROUNDS (1).
// Run by hand, never in CI: it is a measurement, so it exits 0 whether the targets are met.
import crypto from 'node:crypto'
import fs from 'node:fs'
import type { MediaNest } from '../core/server.ts'
import { EVERY_CACHE, VIEWER_CACHE_CHANNEL } from '../core/viewer-cache.ts'
import { startFakeOverseerr, MediaStatus, type FakeOverseerr, type TitleInput } from '../test/support/fake-overseerr.ts'
import { startFakeImageHost, type FakeImageHost } from '../test/support/fake-image-host.ts'
import { configureOverseerr } from '../test/plugins/overseerr/harness.ts'
import type { TestHost } from '../test/support/test-host.ts'
import { alignColumns, benchMediaNest, loadFromEnv, measure, median, signIn, type Result, type Target } from './harness.ts'
import { check, costOf, fetchPage, printRoundTrips, startInstallRun, FIRST_PARTY, loadavg, pages, pluginConfig, seed, spread, tallyQueries, type Cost } from './install.ts'

const LOAD = loadFromEnv(50)
/** The issue's targets (30): each as a share of bare Express's requests/s at 50 connections. */
const GOAL = { discovery: 0.35, image: 0.5 }
const TITLES = 120

// ---------------------------------------------------------------------------------------
// What the fake Overseerr knows: 60 movies and 60 shows, two in five released this year or
// next (so the upcoming rows are full), some already in Plex or on their way, each with a
// TMDB-style poster path. TMDB ids follow seeds/media-requests.ts's (a show's is a multiple
// of 4), so the seeded open requests for the same titles show on their cards, as they would.

const ADJECTIVES = ['Silent', 'Last', 'Hidden', 'Broken', 'Golden', 'Northern', 'Quiet', 'Burning', 'Lost', 'Distant', 'Crimson', 'Endless']
const NOUNS = ['Harbor', 'Kingdom', 'Signal', 'Orchard', 'Frontier', 'Witness', 'Lighthouse', 'Archive', 'Garden', 'Tide', 'Empire', 'Station', 'Winter', 'River']
const GENRES = { movie: ['Drama', 'Thriller', 'Comedy', 'Science Fiction', 'Adventure', 'Crime', 'Animation', 'Horror'], tv: ['Drama', 'Crime', 'Comedy', 'Sci-Fi & Fantasy', 'Mystery', 'Documentary', 'Action & Adventure'] }

interface Poster { file: string; bytes: Buffer }

function catalogue(): Array<TitleInput & { poster: string }> {
  const thisYear = new Date().getUTCFullYear()
  let movieId = 0
  return Array.from({ length: TITLES }, (_, k) => {
    const mediaType = k % 2 === 0 ? 'movie' : 'tv'
    if (mediaType === 'movie') movieId += movieId % 4 === 3 ? 2 : 1
    const tmdbId = mediaType === 'movie' ? movieId : 4 * ((k + 1) / 2)
    const title = `The ${ADJECTIVES[k % ADJECTIVES.length]} ${NOUNS[(k * 5) % NOUNS.length]}${k >= ADJECTIVES.length * 2 ? ` ${['II', 'III', 'Returns', 'Rising', 'Reborn'][k % 5]}` : ''}`
    const year = k % 5 < 2 ? thisYear + (k % 3 === 0 ? 1 : 0) : 1972 + ((k * 7) % (thisYear - 1972))
    const genres = GENRES[mediaType]
    return {
      mediaType, tmdbId, title, year,
      // 27 characters of base64url, as TMDB's own file names look.
      poster: `/${crypto.createHash('sha256').update(`poster ${mediaType} ${tmdbId}`).digest('base64url').slice(0, 27)}.jpg`,
      overview: `${mediaType === 'movie' ? 'When' : 'After'} a ${['retired detective', 'young cartographer', 'family of lighthouse keepers', 'disgraced pilot', 'small-town teacher'][k % 5]} ` +
        `finds ${['a letter that should not exist', 'the last working radio in the valley', 'a map of a coast no one remembers', 'her brother alive'][k % 4]}, ` +
        `${['old loyalties are tested', 'a quiet winter turns dangerous', 'the past comes back to collect', 'everyone has a secret to keep'][k % 4]}. ` +
        `${mediaType === 'movie' ? 'A story of courage and second chances.' : 'Each season follows a new mystery along the same stretch of shore.'}`,
      genres: [genres[k % genres.length], genres[(k + 3) % genres.length]],
      ...(mediaType === 'tv' ? { seasons: Array.from({ length: 1 + (k % 5) }, (_, s) => ({ seasonNumber: s + 1, episodeCount: 6 + ((k + s) % 7) })) } : {}),
      ...(k % 7 === 3 ? { availability: MediaStatus.AVAILABLE } : k % 11 === 4 ? { availability: MediaStatus.PROCESSING } : {}),
    }
  })
}

/**
 * A poster's worth of bytes (25–40 KB, as TMDB's w300 JPEGs are), served as image/jpeg: the
 * server checks only the Content-Type and writes the Buffer as it is. The bytes are printable
 * (base64 text), not the noise a real JPEG is, because of the load generator: autocannon 9
 * decodes every response body into a UTF-8 string (pipelinedRequestsQueue.addBody), which
 * takes ~270 µs for 25 KB of noise against ~4 µs for text. With noise its worker thread spent
 * 73 % of its time in Buffer.toString and capped the figure (0.34–0.45 with the server's
 * main thread 17 % idle); a browser decodes no image as text.
 */
function posterBytes(k: number): Buffer {
  const size = 25 * 1024 + ((k * 2731) % (15 * 1024))
  return Buffer.from(crypto.randomBytes(size).toString('base64').slice(0, size), 'latin1')
}

async function upstreams(): Promise<{ overseerr: FakeOverseerr; images: FakeImageHost; posters: Map<string, Poster> }> {
  const overseerr = await startFakeOverseerr()
  const images = await startFakeImageHost()
  const posters = new Map<string, Poster>()
  catalogue().forEach((title, k) => {
    overseerr.addTitle(title)
    const poster = { file: title.poster.slice(1), bytes: posterBytes(k) }
    images.addImage(`/t/p/w300/${poster.file}`, poster.bytes, 'image/jpeg')
    posters.set(poster.file, poster)
  })
  return { overseerr, images, posters }
}

// ---------------------------------------------------------------------------------------
// What a person would see: five rows of posters, each poster from our own origin.

interface Discovery { rows: Array<{ id: string; cards: number; posters: string[] }>; bytes: number }

function discoveryOf(html: string): Discovery | string {
  const sections = html.split('<section class="discovery-row"').slice(1)
  const rows = sections.map((section) => ({
    id: /aria-labelledby="overseerr-row-([^"]+)"/.exec(section)?.[1] ?? '?',
    cards: section.split('<li class="poster"').length - 1,
    posters: [...section.matchAll(/<img src="(\/overseerr\/images\/w300\/[^"]+)"/g)].map((m) => m[1]),
    error: /class="alert[^"]*"[^>]*>([^<]*)/.exec(section)?.[1] ?? (section.includes('Nothing here right now.') ? 'an empty row' : null),
  }))
  if (rows.length !== 5) return `${rows.length} discovery rows, expected 5`
  for (const row of rows) {
    if (row.error) return `row ${row.id} shows no titles: ${row.error}`
    if (!row.cards || row.posters.length !== row.cards) return `row ${row.id} has ${row.cards} cards and ${row.posters.length} posters at /overseerr/images/w300/…, expected one on every card`
  }
  return { rows: rows.map(({ id, cards, posters }) => ({ id, cards, posters })), bytes: Buffer.byteLength(html) }
}

/** The poster as a browser gets it: 200, image/jpeg, the host's bytes exactly. */
async function checkImage(target: Target, poster: Poster): Promise<void> {
  const res = await fetchPage(target)
  const body = Buffer.from(await res.arrayBuffer())
  const problem = res.status !== 200 ? `answered ${res.status}`
    : res.headers.get('content-type') !== 'image/jpeg' ? `answered ${res.headers.get('content-type')}, not image/jpeg`
      : Number(res.headers.get('content-length')) !== poster.bytes.length ? `said Content-Length ${res.headers.get('content-length')}, the host's poster is ${poster.bytes.length} bytes`
        : !body.equals(poster.bytes) ? `sent ${body.length} bytes that are not the host's ${poster.bytes.length}` : null
  if (problem) throw new Error(`${target.name} ${problem}`)
}

// ---------------------------------------------------------------------------------------

const { dataDir, database, targets, bare } = await startInstallRun('discovery', LOAD)
const { overseerr, images, posters } = await upstreams()
let app: MediaNest | null = null
try {
  app = await benchMediaNest({
    dataDir, databaseUrl: database.url,
    // The install's plugin settings, and the image host: every other overseerr setting its default (rows kept 300 s).
    plugins: { ...pluginConfig(dataDir, targets), overseerr: { config: { images: { host: images.url } } } },
  })
  const states = new Map(app.host.plugins.map((p) => [p.name, p.state]))
  const notRunning = FIRST_PARTY.filter((name) => states.get(name) !== 'started')
  if (notRunning.length) throw new Error(`Not every first-party plugin started: ${notRunning.map((n) => `${n} is ${states.get(n) ?? 'missing'}`).join(', ')}`)
  tallyQueries(app.db.knex)

  const viewer = await signIn(app, { email: 'viewer@medianest.example', name: 'Bench Viewer', role: 'ADMIN' })
  const seeding = performance.now()
  await seed(app, viewer.userId)
  // As the admin form leaves it: the address, the API key and a webhook secret sealed. After the
  // seeding, so that the status sync's first run (at boot) finds no Overseerr and leaves the
  // seeded requests alone; its next is 5 minutes later (syncEvery).
  await configureOverseerr({ app, db: app.db.knex } as unknown as TestHost, overseerr.url, overseerr.apiKey)
  await app.db.notify(VIEWER_CACHE_CHANNEL, EVERY_CACHE)
  await new Promise((resolve) => setTimeout(resolve, 500))
  process.stderr.write(`  seeding took ${((performance.now() - seeding) / 1000).toFixed(1)} s in all\n`)

  // What a person would see, and the first visit fills the rows' cache (one call per row).
  const headers = { Cookie: viewer.cookie, Accept: 'text/html' }
  const discoveryTarget: Target = { name: 'GET /overseerr (5 rows cached)', url: `${app.url}/overseerr`, headers }
  const discoverCalls = () => overseerr.requests.filter((r) => r.path.startsWith('/api/v1/discover/')).length
  const first = await fetchPage(discoveryTarget)
  const html = await first.text()
  if (first.status !== 200) throw new Error(`GET /overseerr answered ${first.status}: ${html.slice(0, 300)}`)
  const discovery = discoveryOf(html)
  if (typeof discovery === 'string') throw new Error(`GET /overseerr answered 200 but not the page expected: ${discovery}`)
  const shown = [...new Set(discovery.rows.flatMap((r) => r.posters))]
  process.stderr.write(`  /overseerr: ${discovery.rows.map((r) => `${r.id} ${r.cards}`).join(', ')} cards, ${shown.length} distinct posters, ` +
    `${(discovery.bytes / 1024).toFixed(1)} KB; ${discoverCalls()} discover calls to Overseerr\n`)

  // The first poster of the first row: fetched once from the host, then a cache hit.
  const imagePath = shown[0]
  const poster = posters.get(imagePath.split('/').pop()!)!
  const imageTarget: Target = {
    name: `GET /overseerr/images/w300/… (${(poster.bytes.length / 1024).toFixed(1)} KB, cache hit)`, url: `${app.url}${imagePath}`,
    headers: { Cookie: viewer.cookie, Accept: 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8' },
  }
  await checkImage(imageTarget, poster)
  // Warm: every poster the page shows, once (the host is asked once for each).
  for (const src of shown) {
    const res = await fetchPage({ name: src, url: `${app.url}${src}`, headers: imageTarget.headers })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`${src} answered ${res.status} while the cache was warmed`)
  }
  const hostCalls = images.requests.length
  await checkImage(imageTarget, poster)
  if (images.requests.length !== hostCalls) throw new Error('The poster was fetched from the image host again: it should have come from the cache')
  process.stderr.write(`  posters: ${shown.length} warmed, ${images.requests.length} image host calls so far\n`)

  const dashboard = pages(app.url, viewer.cookie)[0]
  const sizes = new Map<string, number>([[discoveryTarget.name, discovery.bytes], [imageTarget.name, poster.bytes.length], [dashboard.name, await check(dashboard)]])

  // BENCH_ONLY=overseerr measures the targets whose name contains it (for a profile of one).
  const medianest = [discoveryTarget, imageTarget, dashboard].filter((t) => !process.env.BENCH_ONLY || t.name.includes(process.env.BENCH_ONLY))
  const all: Target[] = [{ name: 'bare Express GET /', url: `${bare.url}/` }, ...medianest]
  const costs = new Map<string, Cost>()
  costs.set(all[0].name, await costOf(null, all[0]))
  for (const target of medianest) costs.set(target.name, await costOf(app.server, target))

  const before = { discover: discoverCalls(), overseerr: overseerr.requests.length, images: images.requests.length, at: performance.now() }
  const rounds: Result[][] = []
  for (let round = 1; round <= LOAD.rounds; round++) {
    if (LOAD.rounds > 1) process.stderr.write(`round ${round} of ${LOAD.rounds} (load average ${loadavg()})\n`)
    const results: Result[] = []
    for (const target of all) results.push(await measure(target, LOAD))
    rounds.push(results)
  }
  const others = overseerr.requests.slice(before.overseerr).filter((r) => !r.path.startsWith('/api/v1/discover/'))
  const during = {
    discover: discoverCalls() - before.discover, images: images.requests.length - before.images,
    otherOverseerr: others.length, otherPaths: [...new Set(others.map((r) => `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, '/:id')}`))],
    seconds: (performance.now() - before.at) / 1000,
  }

  // Per target: each round's figures against that round's bare Express.
  const rows = all.map((_, i) => rounds.map((r) => ({ result: r[i], ratio: r[i].requests / r[0].requests })))
  console.log(`\nMediaNest on ${database.label}, all five first-party plugins on, the install's data, a fake Overseerr with ${TITLES} titles ` +
    `and a fake image host; ${LOAD.connections} connections, ${LOAD.seconds} s per target` +
    `${LOAD.rounds > 1 ? `, median (min–max) of ${LOAD.rounds} interleaved rounds` : ''}; load average now ${loadavg()}\n`)
  console.log(alignColumns([
    ['target', 'req/s', 'vs bare', 'p50 ms', 'p99 ms', 'errors', 'DB trips/req', 'ms/req alone', 'body KB'],
    ...all.map((target, i) => {
      const runs = rows[i]
      const cost = costs.get(target.name)!
      const size = sizes.get(target.name)
      return [
        target.name, spread(runs.map((r) => r.result.requests), 0), i === 0 ? '1' : spread(runs.map((r) => r.ratio), 2),
        spread(runs.map((r) => r.result.p50), 0), spread(runs.map((r) => r.result.p99), 0),
        String(runs.reduce((n, r) => n + r.result.errors + r.result.non2xx, 0)),
        i === 0 ? '–' : cost.roundTrips.toFixed(1), cost.ms.toFixed(2), size ? (size / 1024).toFixed(1) : '0',
      ]
    }),
  ]))
  console.log(`\nDuring the ${during.seconds.toFixed(0)} s of load: ${during.discover} discover calls to Overseerr (0 while the rows are cached), ` +
    `${during.images} calls to the image host (0 while the posters are cached)` +
    `${during.otherOverseerr ? `, and ${during.otherOverseerr} other calls to Overseerr (${during.otherPaths.join(', ')})` : ''}.`)
  const errors = rows.flat().reduce((n, r) => n + r.result.errors + r.result.non2xx, 0)
  if (errors) console.log(`${errors} requests failed or answered non-2xx: the figures above are not comparable.`)

  console.log('\nThe issue\'s targets (medians):')
  const ratioOf = (target: Target) => median(rows[all.indexOf(target)].map((r) => r.ratio))
  for (const [target, goal] of [[discoveryTarget, GOAL.discovery], [imageTarget, GOAL.image]] as const) {
    if (!all.includes(target)) continue
    const ratio = ratioOf(target)
    console.log(`  ${ratio >= goal ? 'PASS' : 'FAIL'}  ${target.name} >= ${goal}x bare Express: ${ratio.toFixed(2)}`)
  }
  if (all.includes(dashboard)) console.log(`  (context) ${dashboard.name}: ${ratioOf(dashboard).toFixed(2)}x bare Express`)

  printRoundTrips(costs, medianest.map((t) => t.name))
} finally {
  await app?.stop()
  await bare.close()
  await targets.close()
  await overseerr.close()
  await images.close()
  await database.drop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
