// A status badge (/status/<slug>/badge/<service>.svg) in the shields.io shape people
// paste into a README or a wiki: the service's name on the left, its status on the
// right, a colour per status, and the same words as a title for screen readers.
import type { Status } from './service-status.ts'
import { PUBLIC_WORDS } from './status-pages.ts'

const COLOUR: Record<string, string> = {
  up: '#1a7f37', degraded: '#8a5c00', pending: '#8a5c00', down: '#cf222e', unknown: '#5b6470', maintenance: '#5b6470', paused: '#5b6470',
}
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
/** Verdana 11 px averages about 6.5 px a character: close enough that nothing is cut. */
const widthOf = (s: string) => Math.round([...s].length * 6.5) + 12

export function badgeSvg(name: string, status: Status | null): string {
  const label = name.slice(0, 60)
  const word = status === 'pending' ? 'up (retrying)' : (status ? PUBLIC_WORDS[status] : 'not checked').toLowerCase()
  const left = widthOf(label)
  const right = widthOf(word)
  const total = left + right
  const colour = COLOUR[status ?? 'unknown'] ?? COLOUR.unknown
  const title = escape(`${label}: ${word}`)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="20" role="img" aria-label="${title}"><title>${title}</title>` +
    `<rect width="${left}" height="20" fill="#555"/><rect x="${left}" width="${right}" height="20" fill="${colour}"/>` +
    `<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">` +
    `<text x="${left / 2}" y="14">${escape(label)}</text><text x="${left + right / 2}" y="14">${escape(word)}</text></g></svg>`
}
