// What nav entries and widgets show on every page for one person (the bell's unread count
// and latest five) is kept per process, so a page costs no query for it once warm. The
// plugin says when it changed (invalidate), and every process drops that person's entry
// through NOTIFY. Notices only arrive while the listening connection is up: while it is
// down nothing is cached, and when it comes back every cache starts empty, since notices
// sent meanwhile are lost. maxAge bounds what a change nobody announced can leave stale.
import type { Logger } from 'winston'
import type { Database } from './db.ts'
import type { ViewerCache, ViewerCacheOptions } from './plugin-api.ts'
import { durationMs } from './config.ts'

export const VIEWER_CACHE_CHANNEL = 'medianest_viewer_cache'
const EVERYONE = '*'
/** The payload that empties every cache of every process: data written past the plugins (a seed). */
export const EVERY_CACHE = '*'

interface Entry<T> { value: Promise<T>; at: number }

class Store<T> implements ViewerCache<T> {
  readonly entries = new Map<string, Entry<T>>()

  constructor(
    private readonly id: string,
    private readonly load: (viewerId: string) => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly max: number,
    private readonly trusted: () => boolean,
    private readonly announce: (payload: string) => Promise<void>,
  ) {}

  async get(viewerId: string): Promise<T> {
    if (!this.trusted()) return this.load(viewerId)
    const hit = this.entries.get(viewerId)
    if (hit && performance.now() - hit.at < this.maxAgeMs) return hit.value
    const entry: Entry<T> = { value: this.load(viewerId), at: performance.now() }
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(viewerId, entry)
    // A failed load is not kept; the entry may already be another (an invalidate came in).
    entry.value.catch(() => { if (this.entries.get(viewerId) === entry) this.entries.delete(viewerId) })
    return entry.value
  }

  async invalidate(viewerId: string): Promise<void> {
    this.entries.delete(viewerId)
    await this.announce(`${this.id}\n${viewerId}`)
  }

  async invalidateAll(): Promise<void> {
    this.entries.clear()
    await this.announce(`${this.id}\n${EVERYONE}`)
  }
}

export class ViewerCaches {
  private readonly stores = new Map<string, Store<unknown>>()
  private trusted = false

  constructor(private readonly db: Database, private readonly log: Logger, private readonly max = 5000) {}

  /** One cache per plugin and name, e.g. 'notifications:bell'. */
  create<T>(id: string, options: ViewerCacheOptions<T>): ViewerCache<T> {
    if (this.stores.has(id)) throw new Error(`The viewer cache "${id}" is made twice; make it once, in register().`)
    const maxAgeMs = durationMs(options.maxAge ?? '60s')
    const store = new Store<T>(id, options.load, maxAgeMs, this.max, () => this.trusted && this.db.listening(),
      (payload) => this.db.notify(VIEWER_CACHE_CHANNEL, payload).catch((error: Error) => {
        // Others keep their entry until maxAge; this process dropped its own already.
        this.log.warn(`viewer cache ${id}: could not tell other processes of a change: ${error.message}`)
      }))
    this.stores.set(id, store as Store<unknown>)
    return store
  }

  private drop(payload: string): void {
    if (payload === EVERY_CACHE) return this.clear()
    const [id, viewerId] = payload.split('\n')
    const store = this.stores.get(id)
    if (!store) return
    if (viewerId === EVERYONE) store.entries.clear()
    else store.entries.delete(viewerId)
  }

  /** Empties every cache of this process: for data written past the plugins in this process (a test, a seed). */
  clear(): void {
    for (const store of this.stores.values()) store.entries.clear()
  }

  async attach(): Promise<() => Promise<void>> {
    const unlisten = await this.db.listen(VIEWER_CACHE_CHANNEL, (payload) => this.drop(payload))
    const offReconnect = this.db.onReconnect(() => this.clear())
    this.trusted = true
    return async () => {
      this.trusted = false
      offReconnect()
      this.clear()
      await unlisten()
    }
  }
}
