// What is new on a source. A playlist is read whole (its new items may be anywhere). A
// channel is listed newest first, so it is read one page at a time and reading stops at
// the first item already known: a channel of 10,000 videos with one new costs one page.
// "Only new uploads from now on" writes the newest page into the archive as known, so the
// next check stops there and yt-dlp would skip them too.
import fs from 'node:fs'
import path from 'node:path'
import { readMetadata, type ListedItem, type PlaylistInfo } from './yt-dlp.ts'
import { checkPlaylistUrl, type UrlKind } from './url-check.ts'

/** Items per listing read of a channel: one page of YouTube's channel listing. */
export const LISTING_PAGE = 30

export interface Reader { ytDlpPath: string; metadataTimeoutMs: number; allowedHosts: string[] }

export interface NewItems {
  info: PlaylistInfo
  /** Unknown items, newest first for a channel, in playlist order otherwise; at most `max`. */
  fresh: ListedItem[]
  /** More unknown items than `max` were there (a playlist), or the channel was not read to a known item. */
  more: boolean
  /** Listing reads it took. */
  reads: number
}

/** The items of `url` not in `known`, reading as little as the source's kind allows. */
export async function newItems(reader: Reader, url: string, kind: UrlKind, known: Set<string>, max: number): Promise<NewItems> {
  if (kind !== 'channel') {
    const info = await readMetadata(reader.ytDlpPath, url, reader.metadataTimeoutMs)
    const fresh = info.entries.filter((e) => !known.has(e.id))
    return { info, fresh: fresh.slice(0, max), more: fresh.length > max, reads: 1 }
  }
  let info: PlaylistInfo | null = null
  const fresh: ListedItem[] = []
  for (let from = 1, reads = 1; ; from += LISTING_PAGE, reads++) {
    const page = await readMetadata(reader.ytDlpPath, url, reader.metadataTimeoutMs, { from, to: from + LISTING_PAGE - 1 })
    info ??= page
    const knownAt = page.entries.findIndex((e) => known.has(e.id))
    fresh.push(...(knownAt < 0 ? page.entries : page.entries.slice(0, knownAt)))
    const ended = knownAt >= 0 || page.entries.length < LISTING_PAGE
    if (ended || fresh.length >= max) return { info: { ...info, entries: fresh }, fresh: fresh.slice(0, max), more: !ended, reads }
  }
}

/** The newest `count` items of a channel (the first "newest N"), one read. */
export async function newestOf(reader: Reader, url: string, count: number): Promise<PlaylistInfo> {
  return readMetadata(reader.ytDlpPath, url, reader.metadataTimeoutMs, { from: 1, to: count })
}

/** Each item's own address for yt-dlp, checked like any address a person pastes; items without one are left out. */
export function itemUrls(reader: Reader, items: ListedItem[]): string[] {
  return items.flatMap((e) => {
    const checked = e.url ? checkPlaylistUrl(e.url, reader.allowedHosts) : null
    return checked?.ok ? [checked.url] : []
  })
}

/** Writes items into an archive as known (yt-dlp's "<extractor> <id>" lines), so checks stop at them. */
export function markKnown(archive: string, items: ListedItem[]): void {
  if (items.length === 0) return
  fs.mkdirSync(path.dirname(archive), { recursive: true })
  fs.appendFileSync(archive, items.map((e) => `${e.archiveKey}\n`).join(''))
}

/** A channel's name without yt-dlp's " - Videos" (or Shorts, Live) suffix. */
export function sourceTitle(info: PlaylistInfo): string | null {
  const raw = info.channel ?? (info.title ?? '').replace(/ - (Videos|Shorts|Live)$/, '')
  return raw.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 300) || null
}
