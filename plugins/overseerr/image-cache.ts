// Posters and backdrops kept on disk under the plugin's data folder, so each is fetched
// from TMDB's image host once, not once per browser. TMDB names an image by its content
// (a new poster gets a new path), so a stored file never goes stale; the only bound is
// size: past the cap the least recently used files are removed.
//
// - A key is `<size>/<file>` checked against SIZES and FILE before it names a file: no
//   path from a request reaches the file system unchecked (`..`, encoded slashes, NUL).
// - "Recently used" is the file's mtime, touched at most hourly per file: every process
//   of a cluster shares the folder and sees the same order, with no index to agree on.
// - A file is written under a temporary name and renamed: a crash leaves a stray
//   `.tmp` (swept at the next eviction), never half an image under a real name.
// - The hottest images also stay in memory (a small LRU), so a warm hit reads no disk.
import fs from 'node:fs/promises'
import path from 'node:path'
import crypto from 'node:crypto'
import type { Logger } from 'medianest/plugin-api'

/** The TMDB sizes we ask for: posters on cards, backdrops on title pages. */
export const SIZES = ['w300', 'w1280'] as const
export type ImageSize = (typeof SIZES)[number]
/** A TMDB image file name: letters, digits, `_` and `-`, then an image extension. */
export const FILE = /^[A-Za-z0-9_-]{1,100}\.(jpg|jpeg|png|webp)$/

export interface CachedImage { bytes: Buffer; contentType: string }

const TOUCH_EVERY_MS = 60 * 60_000
const MEMORY_MAX_BYTES = 8 * 1024 * 1024
const MEMORY_MAX_ENTRIES = 400

export function imageKey(size: string, file: string): string | null {
  return (SIZES as readonly string[]).includes(size) && FILE.test(file) ? `${size}/${file}` : null
}

export class ImageCache {
  private readonly memory = new Map<string, CachedImage & { touched: number }>()
  private memoryBytes = 0
  /** Bytes on disk as this process last counted them, plus what it wrote since; null until counted. */
  private diskBytes: number | null = null
  private evicting: Promise<void> | null = null

  /** `now`: the host's clock; every mtime here is set from it (written and touched alike), so the order is one clock's. */
  constructor(private readonly dir: string, private readonly maxBytes: number, private readonly log: Logger, private readonly now: () => Date) {}

  /** The stored image, or null. `key` must come from imageKey(). */
  async get(key: string): Promise<CachedImage | null> {
    const hot = this.memory.get(key)
    if (hot) {
      this.memory.delete(key)
      this.memory.set(key, hot)
      if (performance.now() - hot.touched > TOUCH_EVERY_MS) { hot.touched = performance.now(); this.touch(key) }
      return hot
    }
    const file = this.fileOf(key)
    let raw: Buffer
    try {
      raw = await fs.readFile(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
    const newline = raw.indexOf(10)
    // A file that is not ours (or was cut short by a full disk) is a miss, fetched again.
    if (newline < 1 || newline > 40) return null
    const image = { bytes: raw.subarray(newline + 1), contentType: raw.subarray(0, newline).toString('latin1') }
    this.touch(key)
    this.remember(key, image)
    return image
  }

  /** Stores an image (its type on the first line of the file), then evicts past the cap. */
  async put(key: string, image: CachedImage): Promise<void> {
    const file = this.fileOf(key)
    await fs.mkdir(path.dirname(file), { recursive: true })
    const temp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`
    await fs.writeFile(temp, Buffer.concat([Buffer.from(`${image.contentType}\n`, 'latin1'), image.bytes]))
    await fs.utimes(temp, this.now(), this.now())
    await fs.rename(temp, file)
    this.remember(key, image)
    if (this.diskBytes === null) this.diskBytes = await this.count()
    else this.diskBytes += image.bytes.length
    if (this.diskBytes > this.maxBytes) await this.evict()
  }

  /** Removes the least recently used files until the folder is under 90 % of the cap. */
  evict(): Promise<void> {
    this.evicting ??= this.evictNow().finally(() => { this.evicting = null })
    return this.evicting
  }

  private async evictNow(): Promise<void> {
    const files = await this.list()
    let total = files.reduce((sum, f) => sum + f.size, 0)
    const target = this.maxBytes * 0.9
    let removed = 0
    for (const f of files.sort((a, b) => a.mtimeMs - b.mtimeMs)) {
      // Stray temporary files (a crash mid-write) go whatever their age; the rest by age.
      if (total <= target && !f.name.endsWith('.tmp')) continue
      await fs.rm(f.path, { force: true })
      total -= f.size
      removed++
      const key = `${path.basename(path.dirname(f.path))}/${f.name}`
      const hot = this.memory.get(key)
      if (hot) { this.memory.delete(key); this.memoryBytes -= hot.bytes.length }
    }
    this.diskBytes = total
    if (removed) this.log.info(`image cache: removed ${removed} least recently used file(s); ${Math.round(total / 1024)} KB kept (cap ${Math.round(this.maxBytes / 1024)} KB)`)
  }

  private async count(): Promise<number> {
    return (await this.list()).reduce((sum, f) => sum + f.size, 0)
  }

  private async list(): Promise<Array<{ path: string; name: string; size: number; mtimeMs: number }>> {
    const found: Array<{ path: string; name: string; size: number; mtimeMs: number }> = []
    for (const size of SIZES) {
      let names: string[]
      try { names = await fs.readdir(path.join(this.dir, size)) } catch { continue }
      for (const name of names) {
        const full = path.join(this.dir, size, name)
        // A file removed by another process between readdir and stat is simply gone.
        const stat = await fs.stat(full).catch(() => null)
        if (stat?.isFile()) found.push({ path: full, name, size: stat.size, mtimeMs: stat.mtimeMs })
      }
    }
    return found
  }

  private fileOf(key: string): string {
    const [size, file] = key.split('/')
    if (imageKey(size ?? '', file ?? '') !== key) throw new Error(`not an image key: ${JSON.stringify(key).slice(0, 80)}`)
    return path.join(this.dir, size, file)
  }

  private touch(key: string): void {
    const when = this.now()
    fs.utimes(this.fileOf(key), when, when).catch(() => undefined)
  }

  private remember(key: string, image: CachedImage): void {
    const old = this.memory.get(key)
    if (old) { this.memory.delete(key); this.memoryBytes -= old.bytes.length }
    this.memory.set(key, { ...image, touched: performance.now() })
    this.memoryBytes += image.bytes.length
    while (this.memory.size > MEMORY_MAX_ENTRIES || this.memoryBytes > MEMORY_MAX_BYTES) {
      const [oldest, entry] = this.memory.entries().next().value!
      this.memory.delete(oldest)
      this.memoryBytes -= entry.bytes.length
    }
  }
}
