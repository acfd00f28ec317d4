// Issue 31's benchmark: checking a followed channel of 10,000 uploads where 1 is new. The
// check (plugins/youtube/sources.ts newItems) reads the listing one page at a time, newest
// first, and stops at the first upload it knows; the baseline, in the same run, is reading
// the whole listing once (what a playlist check does, and what the channel check did before).
// Both run the real yt-dlp against the loopback video host's channel, through the test-only
// extractor in test/support/yt-dlp-plugins (30 uploads a page, a page fetched only when
// yt-dlp needs an item on it, as yt-dlp reads YouTube's channel pages); the pages the host
// served are counted.
//
//   npx tsx bench/youtube-channel-check.ts            BENCH_ROUNDS=3 for medians and min–max
//
// Run by hand, never in CI: it is a measurement, so it exits 0 whether the target is met.
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { startFakeVideoHost } from '../test/support/fake-video-host.ts'
import { FAKE_EXTRACTORS } from '../test/plugins/youtube/harness.ts'
import { newItems } from '../plugins/youtube/sources.ts'
import { readMetadata } from '../plugins/youtube/yt-dlp.ts'
import { median } from './harness.ts'

const UPLOADS = 10_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)

async function main(): Promise<void> {
  process.env.PYTHONPATH = FAKE_EXTRACTORS
  const host = await startFakeVideoHost()
  const handle = 'big'
  const url = host.setChannel(handle, 'Big Channel', Array.from({ length: UPLOADS }, (_, i) => ({ clip: `v-${UPLOADS - i}`, title: `Upload ${UPLOADS - i}` })))
  // Every upload but the newest is known (in the archive).
  const known = new Set(Array.from({ length: UPLOADS - 1 }, (_, i) => `v-${i + 1}`))
  const reader = { ytDlpPath: process.env.BENCH_YT_DLP ?? 'yt-dlp', metadataTimeoutMs: 300_000, allowedHosts: ['127.0.0.1'] }
  const timed = async <T>(run: () => Promise<T>) => {
    const pages = host.channelPages(handle)
    const t = performance.now()
    const out = await run()
    return { ms: performance.now() - t, pages: host.channelPages(handle) - pages, out }
  }
  const whole: number[] = []
  const check: number[] = []
  let wholePages = 0
  let checkPages = 0
  let reads = 0
  for (let round = 0; round < ROUNDS; round++) {
    const full = await timed(() => readMetadata(reader.ytDlpPath, url, reader.metadataTimeoutMs))
    if (full.out.entries.length !== UPLOADS) throw new Error(`the whole listing had ${full.out.entries.length} uploads, not ${UPLOADS}`)
    const fresh = await timed(() => newItems(reader, url, 'channel', known, 500))
    if (fresh.out.fresh.length !== 1 || fresh.out.fresh[0].id !== `v-${UPLOADS}`) throw new Error(`the check found ${fresh.out.fresh.map((e) => e.id).join(', ')}, not the one new upload`)
    whole.push(full.ms)
    check.push(fresh.ms)
    wholePages = full.pages
    checkPages = fresh.pages
    reads = fresh.out.reads
  }
  await host.close()
  const ratio = median(check) / median(whole)
  const range = (xs: number[]) => (xs.length > 1 ? ` (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})` : '')
  console.log(`machine: ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; yt-dlp ${reader.ytDlpPath}; ${ROUNDS} round(s)`)
  console.log(`whole listing (baseline): ${Math.round(median(whole))} ms${range(whole)}, ${wholePages} pages`)
  console.log(`channel check, 1 new:     ${Math.round(median(check))} ms${range(check)}, ${checkPages} page(s) in ${reads} listing read(s)`)
  console.log(`ratio check/whole: ${ratio.toFixed(3)}; target: the check reads 1 page: ${checkPages === 1 ? 'met' : 'NOT met'}`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
