// The item yt-dlp is on, and how far into it: all its streams (video and audio are two,
// merged after) make one 0–100 %, which only goes up until the next item starts.
import type { ItemStart, Progress } from './yt-dlp.ts'

export class ItemProgress {
  /** The item's place in the source (yt-dlp's playlist_index, or the next after those done). */
  place: number | null = null
  /** How many items yt-dlp says the listing holds, when it says. */
  of: number | null = null
  id: string | null = null
  percent = 0
  private streams = 1
  private streamsDone = 0

  start(item: ItemStart, nextPlace: number): void {
    this.place = item.index ?? nextPlace
    this.of = item.of
    this.id = item.id
    this.streams = item.streams
    this.streamsDone = 0
    this.percent = 0
  }

  /** A progress line; one for another item (a stray after the next began) is ignored. */
  advance(p: Progress): void {
    if (this.id !== null && p.id !== this.id) return
    const fraction = p.status === 'finished' ? 1 : p.totalBytes ? Math.min(1, (p.downloadedBytes ?? 0) / p.totalBytes) : 0
    this.percent = Math.max(this.percent, Math.min(100, ((this.streamsDone + fraction) / this.streams) * 100))
    if (p.status === 'finished') this.streamsDone = Math.min(this.streams, this.streamsDone + 1)
  }

  /** Its file is in place: it stays at 100 % until the next item starts. */
  finished(): void {
    this.percent = 100
  }

  /** Every stream is in and ffmpeg is merging or embedding: no progress lines come, and that is not a stall. */
  get postProcessing(): boolean {
    return this.place !== null && this.streamsDone >= this.streams
  }
}

/**
 * A host that stops sending (a hung connection yt-dlp waits on, retry after retry) fails
 * the attempt after `ms` without a byte. Counted from the first item (reading the listing is
 * bounded by yt-dlp's own retries) and not while post-processing. Real time, not the host's
 * clock. Start it right before yt-dlp and stop it in a finally: an interval must not outlive its run.
 */
export class StallWatch {
  reason: string | null = null
  private lastActivity = performance.now()
  private lastBytes = -1
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly ms: number, private readonly item: ItemProgress, private readonly onStall: () => void) {}

  start(): void {
    this.lastActivity = performance.now()
    this.timer = setInterval(() => {
      if (this.reason || this.item.place === null || this.item.postProcessing || performance.now() - this.lastActivity < this.ms) return
      this.reason = `The video host stopped sending data: nothing arrived for ${humanStall(this.ms)}.`
      this.onStall()
    }, Math.min(5000, Math.max(250, this.ms / 4)))
  }

  /** Something happened (an item began, a file landed). */
  touch(): void {
    this.lastActivity = performance.now()
  }

  /** A progress line: only new bytes (or a stream finishing) count as activity. */
  progress(p: Progress): void {
    const bytes = p.downloadedBytes ?? 0
    if (bytes !== this.lastBytes || p.status === 'finished') this.lastActivity = performance.now()
    this.lastBytes = bytes
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}

const humanStall = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`)
