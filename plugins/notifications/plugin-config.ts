// notifications' config slice (plugins.notifications.config) and the context type its files share.
import { z, type PluginContext } from 'medianest/plugin-api'

const hostList = z.array(z.string().trim().toLowerCase().min(1).max(253)).max(50)

export const notificationsConfig = z.object({
  /** Read notifications older than this many days are deleted by the daily tidy. */
  retentionDays: z.int().min(1).max(3650).default(90),
  /** How often the tidy runs (a duration: '1d', '6h'). */
  retentionEvery: z.string().regex(/^\d+(ms|s|m|h|d)$/).default('1d'),
  /** Attempts per outbound delivery, the first included; then it is marked failed. */
  deliveryAttempts: z.int().min(1).max(20).default(5),
  /** Longest one outbound POST may take, in milliseconds. */
  deliveryTimeoutMs: z.int().min(500).max(60_000).default(10_000),
  /** Outbound targets each person may add for themselves. */
  maxChannelsPerUser: z.int().min(0).max(20).default(3),
  /**
   * Hosts a person (not an admin) may point their own target at: no user can make the
   * server POST into the local network. Admins' site channels may use any http(s) address.
   */
  userTargetHosts: z.object({
    discord: hostList.default(['discord.com', 'discordapp.com']),
    ntfy: hostList.default(['ntfy.sh']),
    telegram: hostList.default(['api.telegram.org']),
    /** Gotify is self-hosted: none until the admin names their server's host. */
    gotify: hostList.default([]),
    pushover: hostList.default(['api.pushover.net']),
  }).default({ discord: ['discord.com', 'discordapp.com'], ntfy: ['ntfy.sh'], telegram: ['api.telegram.org'], gotify: [], pushover: ['api.pushover.net'] }),
  /** The address people reach MediaNest at: outbound links become absolute (Discord and ntfy need that). */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Inbox page size. */
  pageSize: z.int().min(5).max(100).default(20),
})

export type NotificationsConfig = z.output<typeof notificationsConfig>
export type NotificationsContext = PluginContext<NotificationsConfig>
