// Facts become an inbox, a live bell, and outbound messages (webhook, Discord, ntfy).
// Subscribes to every event ('*'); nothing else calls it, so nothing breaks when it is off.
import { definePlugin, z } from 'medianest/plugin-api'
import { notificationsConfig } from './plugin-config.ts'
import { notificationsRoutes } from './routes.ts'
import { adminRoutes } from './admin-routes.ts'
import { takeFact } from './fact-intake.ts'
import { bellCache, renderBell } from './bell.ts'
import { deliveryJobFailed, heldMessages, runDelivery } from './deliveries.ts'
import { dueDigests, sendDigest } from './email-channel.ts'
import { deleteReadBefore } from './notifications.ts'
import { notificationsSetupStep } from './setup-step.ts'
import { fanOutPage, fanOutPayload, forgetPagesBefore } from './fan-out.ts'

export default definePlugin({
  name: 'notifications',
  version: '1.0.0',
  api: '^1.13.0',
  description: 'An inbox and a live bell for what happens (requests, downloads, incidents), and outbound messages: webhook, Discord, ntfy, Telegram, Gotify, Pushover and email (at once or as summaries).',
  enabledByDefault: true,
  config: notificationsConfig,
  migrations: new URL('./migrations', import.meta.url),
  views: new URL('./views', import.meta.url),
  seeds: new URL('./seeds', import.meta.url),
  tables: ['notifications', 'notification_defaults', 'notification_preferences', 'notification_channels', 'notification_deliveries', 'notification_fan_out_pages'],
  register(ctx) {
    bellCache(ctx)
    return {
      routes: notificationsRoutes(ctx),
      adminRoutes: adminRoutes(ctx),
      setupSteps: [notificationsSetupStep(ctx)],
      nav: [
        { id: 'bell', label: 'Notifications', href: '/notifications', place: 'indicator', render: ({ viewer }) => renderBell(ctx, viewer.id) },
        { label: 'Notification settings', href: '/notifications/preferences', place: 'account' },
        { label: 'Notifications', href: '/admin/notifications', place: 'admin' },
      ],
      // "Send test" posts at once: a person must not turn it into a relay to their own target.
      rateLimits: [{ id: 'send-test', method: 'POST', path: '/preferences/channels/:id/test', limit: 10, window: '10m' }],
      on: [{
        event: '*',
        async handle(payload: Record<string, unknown>, meta) {
          await takeFact(ctx, meta.event, payload, meta.id)
        },
      }],
      jobs: [{
        name: 'deliver',
        timeout: `${Math.ceil(ctx.config.deliveryTimeoutMs / 1000) + 10}s`,
        attempts: ctx.config.deliveryAttempts,
        concurrency: 4,
        payload: z.object({ deliveryId: z.uuid() }),
        async run(payload, job) { await runDelivery(ctx, payload.deliveryId, job) },
        onFailed: deliveryJobFailed,
      }, {
        // One email channel's summary (email-channel.ts): its held deliveries as one mail.
        name: 'digest',
        timeout: '2m',
        attempts: 5,
        concurrency: 2,
        payload: z.object({ channelId: z.uuid() }),
        async run(payload) { await sendDigest(ctx, payload.channelId, (trx, rows) => heldMessages(ctx, trx, rows)) },
      }, {
        // One page of an "admins" or "everyone" fact's people (fan-out.ts); safe to run again.
        name: 'fan-out',
        timeout: '5m',
        attempts: 10,
        concurrency: 1,
        payload: fanOutPayload,
        async run(payload) { await fanOutPage(ctx, payload) },
      }],
      schedules: [{
        // Each minute: the email channels whose hour or daily time has come get their summary.
        id: 'digests',
        every: '1m',
        timeout: '1m',
        scope: 'cluster',
        async run() {
          for (const { channelId, slot } of await dueDigests(ctx)) {
            await ctx.jobs.enqueue('digest', { channelId }, { dedupeKey: `digest:${channelId}:${slot.toISOString()}` })
          }
        },
      }, {
        id: 'retention',
        every: ctx.config.retentionEvery,
        timeout: '5m',
        scope: 'cluster',
        async run({ log }) {
          const removed = await deleteReadBefore(ctx.db, new Date(ctx.clock.nowMs() - ctx.config.retentionDays * 86_400_000))
          // A page a week old has long run (its job's attempts span minutes).
          await forgetPagesBefore(ctx.db, new Date(ctx.clock.nowMs() - 7 * 86_400_000))
          // Old read ones may be among someone's latest five.
          if (removed) await bellCache(ctx).invalidateAll()
          if (removed) log.info(`removed ${removed} read notifications older than ${ctx.config.retentionDays} days`)
        },
      }],
    }
  },
})
