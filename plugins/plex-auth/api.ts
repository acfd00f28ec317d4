// plex-auth's public surface for other plugins: the owner's Plex Media Server as a typed
// service. Depend on 'plex-auth' and `ctx.use(plexServerRef)`; every call reads the plex
// service an admin configured (Admin → Services) at that moment, so a changed address or
// token is picked up at once.
import { createServiceRef, HttpError } from 'medianest/plugin-api'

/** What `/identity` says about the server. */
export interface PlexIdentity {
  /** The server's stable id (what plex.tv calls its clientIdentifier). */
  machineIdentifier: string
  /** The PMS version, e.g. '1.40.2.8395-c67dce28e'. */
  version: string
  /** The server's friendly name, when the server tells it. */
  name?: string
}

/** A library section (`/library/sections`). */
export interface PlexSection {
  /** The section id as PMS writes it: a string of digits, e.g. '3'. */
  key: string
  type: 'movie' | 'show' | 'artist' | 'photo' | string
  title: string
  /** The section's folders, as the Plex server sees them. */
  locations: string[]
}

/** One library item (a movie, an episode, a track, a photo). */
export interface PlexItem {
  /** The item's id on this server (digits); what collections and the image proxy take. */
  ratingKey: string
  title: string
  type: string
  /** When Plex added it. */
  addedAt: Date
  /** The poster's path on the server (never shown to browsers: use the image proxy). */
  thumb?: string
  /** Its files, as the Plex server sees the paths. */
  files: string[]
}

export interface PlexHealth { ok: boolean; message: string; responseTimeMs?: number }

/**
 * The owner's Plex Media Server. Failures throw: `PlexNotSetUp` while no plex service is
 * configured, otherwise an UpstreamError whose message starts "Plex server: …".
 */
export interface PlexServer {
  identity(): Promise<PlexIdentity>
  sections(): Promise<PlexSection[]>
  /** Asks Plex to scan one folder (as Plex sees it) of a section; returns when Plex accepted it. */
  refreshPath(sectionKey: string, path: string): Promise<void>
  /** The section's items with a file at `path` or below it; empty until a scan has found them. */
  findItemsByPath(sectionKey: string, path: string): Promise<PlexItem[]>
  /** Creates a (non-smart) collection holding these items; returns the collection's ratingKey. */
  createCollection(sectionKey: string, title: string, ratingKeys: string[]): Promise<string>
  addToCollection(collectionKey: string, ratingKeys: string[]): Promise<void>
  /** Deletes a collection (its items stay in the library); one that is gone already counts as deleted. */
  deleteCollection(collectionKey: string): Promise<void>
  /** The newest items across every library, newest first. */
  recentlyAdded(limit: number): Promise<PlexItem[]>
  /** Never throws: whether the server answers and accepts the token, in words. */
  health(): Promise<PlexHealth>
}

export const plexServerRef = createServiceRef<PlexServer>('plex-auth.server')

export const PLEX_NOT_SET_UP = 'Plex is not set up: an admin adds the plex service in Admin → Services.'

/** No plex service is configured (or it is turned off): nothing to call yet. */
export class PlexNotSetUp extends HttpError {
  constructor(message = PLEX_NOT_SET_UP) {
    super(503, message, { expose: true })
  }
}
