// plex-auth's config slice (plugins.plex-auth.config) and the context type its files share.
import { z, type PluginContext } from 'medianest/plugin-api'

export const plexAuthConfig = z.object({
  /** plex.tv's API; tests point it at the loopback fake. */
  plexTvUrl: z.url({ protocol: /^https?$/ }).default('https://plex.tv'),
  /** Where the browser approves the PIN (the fragment is added to it). */
  plexAuthUrl: z.url({ protocol: /^https?$/ }).default('https://app.plex.tv/auth'),
  /** The product name Plex shows the person ("MediaNest wants to sign you in"). */
  productName: z.string().trim().min(1).max(60).default('MediaNest'),
  /** The address people reach MediaNest at, for Plex's forwardUrl; the request's own origin when unset. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Longest one plex.tv or Plex server call may take, in milliseconds. */
  timeoutMs: z.int().min(500).max(60_000).default(10_000),
})

export type PlexAuthConfig = z.output<typeof plexAuthConfig>
export type PlexAuthContext = PluginContext<PlexAuthConfig>
