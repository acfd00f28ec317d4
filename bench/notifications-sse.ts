// 1,000 open pages (SSE streams) on one MediaNest process, and one notification to all of
// them: how long from the emit until the last page has its new bell count, and what an
// open stream costs in memory. Run by hand: `npx tsx --expose-gc bench/notifications-sse.ts`.
// The streams are 10 users x 100 (the per-user cap's ceiling); the fact's audience is
// 'everyone', so each user gets one notification and each of their pages one update.
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { startTestHost } from '../test/support/test-host.ts'

const USERS = Number(process.env.BENCH_USERS ?? 10)
const PER_USER = Number(process.env.BENCH_STREAMS_PER_USER ?? 100)
const FIXTURE = fileURLToPath(new URL('../test/fixtures/plugins/notify-fixture', import.meta.url))

interface Stream { seen: number | null; req: http.ClientRequest }

function gc(): void { (globalThis as { gc?: () => void }).gc?.() }
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`

async function main(): Promise<void> {
  const host = await startTestHost({
    plugins: { notifications: { enabled: true }, 'notify-fixture': { enabled: true, source: FIXTURE } },
    config: { live: { maxStreams: USERS * PER_USER + 10, maxStreamsPerUser: PER_USER } },
  })
  const url = new URL(host.url)
  const users = await Promise.all(Array.from({ length: USERS }, () => host.signedIn()))
  gc()
  const before = process.memoryUsage()
  const streams: Stream[] = []
  let target = ''
  const opened = users.flatMap(({ client }) => Array.from({ length: PER_USER }, () => new Promise<void>((resolve, reject) => {
    const s: Stream = { seen: null, req: null as unknown as http.ClientRequest }
    s.req = http.get({ host: url.hostname, port: url.port, path: '/events', agent: false, headers: { Accept: 'text/event-stream', Cookie: client.cookieHeader() } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`))
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        if (s.seen !== null) return
        text += chunk
        if (target && text.includes(target)) s.seen = performance.now()
      })
      resolve()
    })
    s.req.on('error', reject)
    streams.push(s)
  })))
  await Promise.all(opened)
  await new Promise((r) => setTimeout(r, 1000))
  gc()
  const after = process.memoryUsage()
  target = 'hx-target="#notifications-bell-count" hx-swap="innerHTML">1</hx-partial>'
  const t0 = performance.now()
  const res = await users[0].client.post('/notify-fixture/emit', { event: 'party.announced', payload: JSON.stringify({ title: 'Bench night' }) })
  if (res.status !== 202) throw new Error(`emit answered ${res.status}`)
  const deadline = Date.now() + 30_000
  while (streams.some((s) => s.seen === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  const times = streams.map((s) => s.seen).filter((t): t is number => t !== null).map((t) => t - t0).sort((a, b) => a - b)
  const n = streams.length
  console.log(`streams open: ${n} (${USERS} users x ${PER_USER})`)
  console.log(`reached: ${times.length}/${n}; first ${times[0]?.toFixed(0)} ms, median ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms, last ${times.at(-1)?.toFixed(0)} ms after the emit`)
  console.log(`memory for ${n} open streams (server and client ends, one process): rss +${mb(after.rss - before.rss)}, heap +${mb(after.heapUsed - before.heapUsed)}; per stream rss ${((after.rss - before.rss) / n / 1024).toFixed(1)} KiB, heap ${((after.heapUsed - before.heapUsed) / n / 1024).toFixed(1)} KiB`)
  for (const s of streams) s.req.destroy()
  await host.stop()
}

await main()
