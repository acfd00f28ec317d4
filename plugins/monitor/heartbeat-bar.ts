// The heartbeat bar: the last 50 checks of a service as small bars, newest on the right,
// drawn on the server as inline SVG. Each state has its own colour and its own height, so it
// reads without colour too; the text alternative counts them in words.
import type { Status } from './service-status.ts'

export const HEARTBEATS_KEPT = 50
const LETTER: Record<Status, string> = { up: 'u', degraded: 'g', pending: 'p', down: 'd', unknown: 'x', maintenance: 'm', paused: '' }
const STATE: Record<string, { name: string; cls: string; height: number }> = {
  u: { name: 'up', cls: 'hb-up', height: 1 },
  g: { name: 'slow', cls: 'hb-slow', height: 0.8 },
  p: { name: 'pending', cls: 'hb-pending', height: 0.6 },
  d: { name: 'down', cls: 'hb-down', height: 0.4 },
  x: { name: 'unknown', cls: 'hb-unknown', height: 0.2 },
  m: { name: 'in maintenance', cls: 'hb-maintenance', height: 0.5 },
}

/** The kept letters with this result added (the oldest dropped past 50). */
export function withBeat(beats: string | null | undefined, status: Status): string {
  return `${beats ?? ''}${LETTER[status]}`.slice(-HEARTBEATS_KEPT)
}

/** "Last 12 checks: 10 up, 1 pending, 1 down; newest on the right." */
export function beatsInWords(beats: string): string {
  if (!beats) return 'No checks yet.'
  const counts = new Map<string, number>()
  for (const b of beats) counts.set(b, (counts.get(b) ?? 0) + 1)
  const parts = ['u', 'g', 'p', 'd', 'x', 'm'].filter((k) => counts.get(k)).map((k) => `${counts.get(k)} ${STATE[k].name}`)
  return `Last ${beats.length} ${beats.length === 1 ? 'check' : 'checks'}: ${parts.join(', ')}; newest on the right.`
}

/** The bar at a given size: always room for 50, so a young service's few bars sit on the right. */
export function heartbeatBar(beats: string, size: { width: number; height: number } = { width: 150, height: 16 }): string {
  const slot = size.width / HEARTBEATS_KEPT
  const bar = Math.max(1, slot * 0.7)
  const words = beatsInWords(beats)
  const start = HEARTBEATS_KEPT - beats.length
  const rects = [...beats].map((b, i) => {
    const s = STATE[b] ?? STATE.d
    const h = Math.round(size.height * s.height * 10) / 10
    return `<rect class="${s.cls}" x="${Math.round((start + i) * slot * 10) / 10}" y="${Math.round((size.height - h) * 10) / 10}" width="${Math.round(bar * 10) / 10}" height="${h}" rx="0.5"/>`
  }).join('')
  return `<svg class="heartbeats" role="img" aria-label="${words}" viewBox="0 0 ${size.width} ${size.height}" width="${size.width}" height="${size.height}"><title>${words}</title>${rects}</svg>`
}
