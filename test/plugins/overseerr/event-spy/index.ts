// A test plugin that listens to every overseerr event as the notifications plugin would,
// and turns each into words through the declared event types.
import { definePlugin } from 'medianest/plugin-api'
import { seen } from './seen.ts'

export default definePlugin({
  name: 'event-spy',
  version: '1.0.0',
  api: '^1.1.0',
  register(ctx) {
    return {
      on: [{
        event: 'overseerr.*',
        handle(payload: Record<string, unknown>, meta: { event: string }) {
          seen.push({ event: meta.event, payload, described: ctx.events.describe(meta.event, payload) })
        },
      }],
    }
  },
})
