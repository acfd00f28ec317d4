// The notifications table: one person's inbox. Every query here is filtered by the
// owner's id, so a notification id from someone else is simply not found.
import type { Knex } from 'medianest/plugin-api'

export interface NotificationMetadata { link?: string; plugin?: string; event?: string }
export interface NotificationRow {
  id: string
  user_id: string
  type: string
  title: string
  message: string
  read: boolean
  created_at: Date
  read_at: Date | null
  metadata: NotificationMetadata | null
  fact_key: string
}

export interface NewNotification {
  userId: string
  type: string
  title: string
  message: string
  metadata: NotificationMetadata
  factKey: string
}

/** Many at once (one fact for many people): the rows that are new, in one statement. */
export async function insertNotifications(db: Knex, list: NewNotification[]): Promise<NotificationRow[]> {
  if (!list.length) return []
  return db<NotificationRow>('notifications')
    .insert(list.map((n) => ({ user_id: n.userId, type: n.type, title: n.title, message: n.message, metadata: n.metadata, fact_key: n.factKey })) as Partial<NotificationRow>[])
    .onConflict(['user_id', 'fact_key']).ignore()
    .returning('*')
}

export async function unreadCount(db: Knex, userId: string): Promise<number> {
  const row = await db('notifications').where({ user_id: userId, read: false }).select(db.raw('count(*)::int as count')).first()
  return Number((row as { count: number }).count)
}

export interface PageCursor { createdAt: Date; id: string }
export interface InboxPage { rows: NotificationRow[]; next: PageCursor | null }

/** Newest first, keyset-paginated on (created_at, id): stable while new rows arrive. */
export async function inboxPage(db: Knex, userId: string, options: { unreadOnly: boolean; after: PageCursor | null; limit: number }): Promise<InboxPage> {
  const q = db<NotificationRow>('notifications').where({ user_id: userId })
  if (options.unreadOnly) q.andWhere({ read: false })
  if (options.after) q.andWhereRaw('(created_at, id) < (?, ?)', [options.after.createdAt, options.after.id])
  const rows = await q.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(options.limit + 1)
  const more = rows.length > options.limit
  const page = rows.slice(0, options.limit)
  const last = page[page.length - 1]
  return { rows: page, next: more && last ? { createdAt: last.created_at, id: last.id } : null }
}

export async function findOwn(db: Knex, userId: string, id: string): Promise<NotificationRow | null> {
  return (await db<NotificationRow>('notifications').where({ id, user_id: userId }).first()) ?? null
}

/** Returns whether a row of this person's changed. */
export async function markRead(db: Knex, userId: string, id: string): Promise<boolean> {
  const n = await db('notifications').where({ id, user_id: userId, read: false }).update({ read: true, read_at: db.fn.now() })
  return n > 0
}

export async function markAllRead(db: Knex, userId: string): Promise<number> {
  return db('notifications').where({ user_id: userId, read: false }).update({ read: true, read_at: db.fn.now() })
}

export async function deleteOwn(db: Knex, userId: string, id: string): Promise<boolean> {
  return (await db('notifications').where({ id, user_id: userId }).del()) > 0
}

/** Read notifications older than the cut-off; unread ones stay until someone reads them. */
export async function deleteReadBefore(db: Knex, cutoff: Date): Promise<number> {
  return db('notifications').where('read', true).andWhere('created_at', '<', cutoff).del()
}
