// The setup guide's step for notifications (plugin API 1.6): done once admins have a
// channel (ntfy, Discord, a webhook…) that tells them what happens when nobody is looking.
import type { SetupStep } from 'medianest/plugin-api'
import type { NotificationsContext } from './plugin-config.ts'

export function notificationsSetupStep(ctx: NotificationsContext): SetupStep {
  return {
    id: 'channel', priority: 50,
    title: 'Add a notification channel',
    why: 'Admins hear of incidents and new requests on their phone (ntfy, Discord, Gotify, a webhook), not only in the bell.',
    href: '/admin/notifications',
    async state() {
      const rows: Array<{ enabled: boolean }> = await ctx.db('notification_channels').whereNull('owner_user_id').select('enabled')
      if (!rows.length) return { status: 'todo', detail: 'No channel yet: notifications reach people only in MediaNest.' }
      if (!rows.some((r) => r.enabled)) return { status: 'attention', detail: 'Every channel is switched off.' }
      return { status: 'done', detail: `${rows.filter((r) => r.enabled).length} ${rows.length === 1 ? 'channel' : 'channels'} on.` }
    },
  }
}
