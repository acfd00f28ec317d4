// The setup guide's step for the status board (plugin API 1.6): done once something is
// watched; needs attention while any watched service is down.
import type { SetupStep } from 'medianest/plugin-api'
import type { MonitorContext } from './plugin-config.ts'

export function monitorSetupStep(ctx: MonitorContext): SetupStep {
  return {
    id: 'watch', priority: 40,
    title: 'Choose the services to watch',
    why: 'Everyone sees on one board whether Plex and the rest are up, and admins hear when one goes down.',
    href: '/admin/services',
    async state() {
      const rows: Array<{ display_name: string; status: string | null }> = await ctx.db('service_status').select('display_name', 'status').orderBy('display_name')
      if (!rows.length) return { status: 'todo', detail: 'Nothing is watched yet: every service you add is, and so are the extra checks in the config.' }
      const down = rows.filter((r) => r.status === 'down').map((r) => r.display_name)
      if (down.length) return { status: 'attention', detail: `${down.length} of ${rows.length} down now: ${down.slice(0, 3).join(', ')}${down.length > 3 ? '…' : ''}.`, href: '/monitor' }
      return { status: 'done', detail: `Watching ${rows.length} ${rows.length === 1 ? 'service' : 'services'}.` }
    },
  }
}
