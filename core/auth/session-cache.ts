// Signed-in requests are the hot path: looking the session and its user up in the
// database on every one costs most of a dashboard request. This keeps them for a few
// seconds per process. Correctness does not rest on the TTL: a trigger announces
// every session or user change (logout, revoke, suspend, role, password) on
// 'medianest_sessions' after commit, every process drops that user's entries, and a
// write seen in this process clears the cache at once. Notices only arrive while the
// listening connection is up: while it is down the cache is not used at all, and when
// it comes back the cache starts empty, since every notice sent meanwhile is lost.
import type { Database } from '../db.ts'
import type { SessionRow } from './sessions.ts'
import type { UserRow } from './users.ts'

export interface CachedSession { session: SessionRow; user: UserRow; cachedAt: number }

/** Carries a user id after any change to that user, their sessions or their API tokens. */
export const SESSION_CHANGES_CHANNEL = 'medianest_sessions'
const WRITES = /^\s*(update|delete|insert)\b[^;]*\b(sessions|users)\b/i

export class SessionCache {
  private readonly entries = new Map<string, CachedSession>()
  private trusted: () => boolean = () => true

  constructor(private readonly ttlMs = 5000, private readonly max = 10_000) {}

  get(token: string, now: number): CachedSession | undefined {
    if (!this.trusted()) return undefined
    const hit = this.entries.get(token)
    if (hit && now - hit.cachedAt < this.ttlMs) return hit
    if (hit) this.entries.delete(token)
    return undefined
  }

  set(token: string, entry: CachedSession): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(token, entry)
  }

  forgetUser(userId: string): void {
    for (const [key, entry] of this.entries) if (entry.user.id === userId) this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
  }

  /** Listens for changes from any process and watches this process's own writes. */
  async attach(db: Database): Promise<() => Promise<void>> {
    const onQuery = (q: { sql?: string }) => { if (q.sql && WRITES.test(q.sql)) this.clear() }
    db.knex.on('query', onQuery)
    const unlisten = await db.listen(SESSION_CHANGES_CHANNEL, (userId) => this.forgetUser(userId))
    this.trusted = () => db.listening()
    const offReconnect = db.onReconnect(() => this.clear())
    return async () => {
      db.knex.off('query', onQuery)
      offReconnect()
      this.trusted = () => false
      await unlisten()
    }
  }
}
