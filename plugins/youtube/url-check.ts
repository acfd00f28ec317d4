// Which addresses may reach yt-dlp. Everything here runs before any process starts: a
// URL that fails is refused with words for the person, and the canonical form that
// passes is what yt-dlp gets (after `--`, so it can never be read as an option).
import net from 'node:net'
import { YOUTUBE_HOSTS } from './plugin-config.ts'

export const MAX_URL_LENGTH = 2048
const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/
const LIST_ID = /^[A-Za-z0-9_-]{2,64}$/

/** What an address names: a channel is listed newest first (its uploads); anything else is read as it comes. */
export type UrlKind = 'channel' | 'playlist'
export type UrlCheck = { ok: true; url: string; kind: UrlKind } | { ok: false; message: string }

// A channel: /@handle (letters of any script, digits, _ . -), /channel/UC + 22, /c/name, /user/name,
// optionally followed by the tab to follow. Without a tab it is the channel's videos.
const CHANNEL_PATH = /^\/(@[\p{L}\p{M}\p{N}_.-]{3,30}|channel\/UC[A-Za-z0-9_-]{22}|c\/[\p{L}\p{M}\p{N}_.-]{1,100}|user\/[A-Za-z0-9_.-]{1,100})(?:\/([a-z]+))?\/?$/u
const CHANNEL_TABS = ['videos', 'shorts', 'streams']
const CHANNEL_SHAPE = /^\/(@|channel\/|c\/|user\/)/

export function checkPlaylistUrl(input: unknown, allowedHosts: readonly string[]): UrlCheck {
  if (typeof input !== 'string' || input.trim() === '') return { ok: false, message: 'Paste the address of a YouTube playlist or video.' }
  if (input.length > MAX_URL_LENGTH) return { ok: false, message: `That address is too long (at most ${MAX_URL_LENGTH} characters).` }
  // A newline or other control character anywhere, even at the end, is refused: only spaces around the address are trimmed.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(input)) return { ok: false, message: 'That address contains spaces or control characters.' }
  const text = input.replace(/^ +| +$/g, '')
  // Control characters (a newline would start a second "line" for some tools), spaces.
  if (/[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(text)) return { ok: false, message: 'That address contains spaces or control characters.' }
  if (text.startsWith('-')) return { ok: false, message: 'An address cannot start with a dash.' }
  // The URL always goes after `--`, so it can never be an option; these are refused anyway
  // because nothing legitimate carries them (ids may hold "--", so only option-like spots count).
  if (/--exec|(^|[=&?/#])--[a-z]/i.test(text)) return { ok: false, message: 'That address contains an option (like --exec); paste a plain address.' }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { ok: false, message: 'That is not a web address: it must start with https://.' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, message: 'Only http:// and https:// addresses can be downloaded.' }
  if (url.username || url.password) return { ok: false, message: 'An address with a user name or password is not accepted.' }
  const hostname = url.hostname.toLowerCase()
  const allowed = allowedHosts.map((h) => h.toLowerCase())
  const isAllowed = allowed.includes(hostname) || allowed.includes(url.host.toLowerCase())
  if (!isAllowed && isPrivateHost(hostname)) return { ok: false, message: 'That address points to this machine or a private network, which is not allowed.' }
  if (!isAllowed && !(YOUTUBE_HOSTS as readonly string[]).includes(hostname)) {
    return { ok: false, message: `Only YouTube addresses are accepted (${YOUTUBE_HOSTS.join(', ')}); an admin can allow more hosts.` }
  }
  if (hostname !== 'youtu.be' && CHANNEL_SHAPE.test(url.pathname)) return checkChannel(url, isAllowed)
  if (isAllowed) return { ok: true, url: url.href, kind: 'playlist' }
  if (!hasYoutubeId(url, hostname)) return { ok: false, message: 'That YouTube address has no playlist, video or channel in it (look for list=…, watch?v=… or /@name).' }
  return { ok: true, url: url.href, kind: 'playlist' }
}

/** A channel's address in one form (www host, the tab spelled out, no query), so one channel is one source. */
function checkChannel(url: URL, isAllowed: boolean): UrlCheck {
  let pathname: string
  try {
    // Segment by segment: an encoded slash must not make a new segment.
    pathname = url.pathname.split('/').map((part) => decodeURIComponent(part).replace(/[/\\]/g, '\u0000')).join('/').normalize('NFC')
  } catch {
    return { ok: false, message: 'That channel address is not spelled correctly.' }
  }
  const m = CHANNEL_PATH.exec(pathname)
  if (!m) return { ok: false, message: 'That is not a channel address YouTube uses: /@name (3 to 30 letters, digits, _ . -), /channel/UC…, /c/name or /user/name.' }
  const tab = m[2] ?? 'videos'
  if (tab !== 'featured' && !CHANNEL_TABS.includes(tab)) return { ok: false, message: `A channel's videos, shorts or streams can be followed, not its “${tab}” page.` }
  const canonical = new URL(url.href)
  if (!isAllowed) canonical.hostname = 'www.youtube.com'
  canonical.pathname = `/${m[1]}/${tab === 'featured' ? 'videos' : tab}`
  canonical.search = ''
  canonical.hash = ''
  return { ok: true, url: canonical.href, kind: 'channel' }
}

function hasYoutubeId(url: URL, hostname: string): boolean {
  const list = url.searchParams.get('list')
  if (list !== null && LIST_ID.test(list)) return true
  const segments = url.pathname.split('/').filter(Boolean)
  if (hostname === 'youtu.be') return segments.length === 1 && VIDEO_ID.test(segments[0])
  if (segments[0] === 'watch') return VIDEO_ID.test(url.searchParams.get('v') ?? '')
  if (['shorts', 'live', 'embed'].includes(segments[0] ?? '')) return segments.length === 2 && VIDEO_ID.test(segments[1])
  return false
}

/** Loopback, private, link-local and unspecified addresses, and names that mean this machine. */
export function isPrivateHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '')
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal')) return true
  if (net.isIPv4(h)) {
    const [a, b] = h.split('.').map(Number)
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
  }
  if (net.isIPv6(h)) {
    const v = h.toLowerCase()
    return v === '::' || v === '::1' || v.startsWith('fc') || v.startsWith('fd') || v.startsWith('fe80') || v.startsWith('::ffff:')
  }
  // A bare number ("2130706433") is an IPv4 address to some resolvers; WHATWG URL already
  // turned it into dotted form, so a name without a dot is a local name.
  return !h.includes('.')
}
