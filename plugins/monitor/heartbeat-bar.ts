// The heartbeat bar: the last 50 checks of a service as small bars, newest on the right,
// drawn on the server as inline SVG (a dashed line per run of one state). Each state has its own colour and its own height, so it
// reads without colour too; the text alternative counts them in words.
import type { Status } from './service-status.ts'

export const HEARTBEATS_KEPT = 50
const LETTER: Record<Status, string> = { up: 'u', degraded: 'g', pending: 'p', down: 'd', unknown: 'x', maintenance: 'm', paused: '' }
// Drawn in a 50 × 10 box stretched to the size asked for: one unit a check, so each state's
// height (out of 10) and the bars' dashes are the stylesheet's (svg.heartbeats), not repeated
// on every run of every row.
const STATE: Record<string, { name: string; cls: string; height: number }> = {
  u: { name: 'up', cls: 'hb-up', height: 10 },
  g: { name: 'slow', cls: 'hb-slow', height: 8 },
  p: { name: 'pending', cls: 'hb-pending', height: 6 },
  d: { name: 'down', cls: 'hb-down', height: 4 },
  x: { name: 'unknown', cls: 'hb-unknown', height: 2 },
  m: { name: 'in maintenance', cls: 'hb-maintenance', height: 5 },
}

/** The kept letters with this result added (the oldest dropped past 50). */
export function withBeat(beats: string | null | undefined, status: Status): string {
  return `${beats ?? ''}${LETTER[status]}`.slice(-HEARTBEATS_KEPT)
}

/** "Last 12 checks: 10 up, 1 pending, 1 down, newest last." */
export function beatsInWords(beats: string): string {
  if (!beats) return 'No checks yet.'
  const counts = new Map<string, number>()
  for (const b of beats) counts.set(b, (counts.get(b) ?? 0) + 1)
  const parts = ['u', 'g', 'p', 'd', 'x', 'm'].filter((k) => counts.get(k)).map((k) => `${counts.get(k)} ${STATE[k].name}`)
  return `Last ${beats.length} ${beats.length === 1 ? 'check' : 'checks'}: ${parts.join(', ')}, newest last.`
}

/**
 * The bar at a given size: always room for 50, so a young service's few bars sit on the right.
 * Each run of checks in one state is one dashed line (the dashes are its bars): a service up
 * for its last 50 checks is one element, not 50, which a page of 50 services sends 50 times.
 */
export function heartbeatBar(beats: string, size: { width: number; height: number } = { width: 150, height: 16 }): string {
  const start = HEARTBEATS_KEPT - beats.length
  let runs = ''
  for (let i = 0; i < beats.length;) {
    let j = i + 1
    while (j < beats.length && beats[j] === beats[i]) j++
    const s = STATE[beats[i]] ?? STATE.d
    // From the first bar's left edge to the last one's right (a bar is 0.7 of its unit).
    runs += `<path class="${s.cls}" d="M${start + i} ${10 - s.height / 2}H${start + j - 0.3}"/>`
    i = j
  }
  // The words once, as the image's name (a <title> beside it said them a second time on every row).
  // The common size is the stylesheet's (svg.heartbeats); another is said on the element.
  const sized = size.width === 150 && size.height === 16 ? '' : ` width="${size.width}" height="${size.height}"`
  return `<svg class="heartbeats" role="img" aria-label="${beatsInWords(beats)}" viewBox="0 0 ${HEARTBEATS_KEPT} 10" preserveAspectRatio="none"${sized}>${runs}</svg>`
}
