// Response-time charts as inline SVG, drawn on the server: no chart library, no script.
// Any number of points fits: they are reduced to at most one per horizontal pixel
// (keeping each column's highest figure, so a spike never disappears). Every chart has
// a text alternative (role="img", <title>, <desc>) saying what it shows in words.
import type { ChartPoint } from './uptime.ts'

/** `stamp` writes the axis' two dates in the reader's zone (ctx.http.formatDate). */
export interface ChartOptions { width: number; height: number; from: Date; to: Date; label: string; stamp: (date: Date) => string }

export interface Chart { svg: string; summary: string }

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const r1 = (n: number) => Math.round(n * 10) / 10

/** Points reduced to one per column: the column's highest response time, and its lowest up-fraction. */
export function reduce(points: ChartPoint[], columns: number, from: Date, to: Date): Array<{ x: number; ms: number | null; up: number | null }> {
  const span = Math.max(1, to.getTime() - from.getTime())
  const cols = new Map<number, { ms: number | null; up: number | null }>()
  for (const p of points) {
    const x = Math.min(columns - 1, Math.max(0, Math.floor(((p.at.getTime() - from.getTime()) / span) * columns)))
    const c = cols.get(x) ?? { ms: null, up: null }
    if (p.ms !== null) c.ms = c.ms === null ? p.ms : Math.max(c.ms, p.ms)
    if (p.up !== null) c.up = c.up === null ? p.up : Math.min(c.up, p.up)
    cols.set(x, c)
  }
  return [...cols].sort((a, b) => a[0] - b[0]).map(([x, c]) => ({ x, ...c }))
}

export function summarize(points: ChartPoint[], label: string): string {
  const times = points.map((p) => p.ms).filter((v): v is number => v !== null)
  const downs = points.filter((p) => p.up !== null && p.up < 1).length
  if (!points.length) return `${label}: no checks recorded in this period.`
  if (!times.length) return `${label}: ${points.length} periods recorded, none with an answer.`
  const avg = times.reduce((a, b) => a + b, 0) / times.length
  return `${label}: average ${Math.round(avg)} ms, fastest ${Math.round(Math.min(...times))} ms, slowest ${Math.round(Math.max(...times))} ms` +
    (downs ? `; failures in ${downs} of ${points.length} periods.` : '; no failures.')
}

export function responseChart(points: ChartPoint[], o: ChartOptions): Chart {
  const summary = summarize(points, o.label)
  const pad = { left: 44, right: 6, top: 8, bottom: 18 }
  const w = o.width - pad.left - pad.right
  const h = o.height - pad.top - pad.bottom
  const cols = reduce(points, Math.max(1, Math.floor(w)), o.from, o.to)
  const max = Math.max(1, ...cols.map((c) => c.ms ?? 0))
  const top = niceCeiling(max)
  const xOf = (x: number) => r1(pad.left + x)
  const yOf = (ms: number) => r1(pad.top + h - (ms / top) * h)
  const parts: string[] = []
  parts.push(`<line x1="${pad.left}" y1="${pad.top + h}" x2="${pad.left + w}" y2="${pad.top + h}" stroke="currentColor" stroke-opacity="0.4"/>`)
  parts.push(`<text x="${pad.left - 4}" y="${pad.top + 8}" text-anchor="end" font-size="10" fill="currentColor">${top} ms</text>`)
  parts.push(`<text x="${pad.left - 4}" y="${pad.top + h}" text-anchor="end" font-size="10" fill="currentColor">0</text>`)
  parts.push(`<text x="${pad.left}" y="${o.height - 4}" font-size="10" fill="currentColor">${esc(o.stamp(o.from))}</text>`)
  parts.push(`<text x="${pad.left + w}" y="${o.height - 4}" text-anchor="end" font-size="10" fill="currentColor">${esc(o.stamp(o.to))}</text>`)
  // Failures: a band down the column, in addition to the gap in the line (not colour alone).
  for (const c of cols.filter((c) => c.up !== null && c.up < 1)) {
    parts.push(`<rect x="${xOf(c.x)}" y="${pad.top}" width="1" height="${h}" fill="#c0392b" fill-opacity="0.5"><title>failures</title></rect>`)
  }
  // Runs of answered columns become one polyline each; a column without an answer breaks the line.
  let run: string[] = []
  const flush = () => {
    if (run.length === 1) parts.push(`<circle cx="${run[0].split(',')[0]}" cy="${run[0].split(',')[1]}" r="2" fill="currentColor"/>`)
    else if (run.length > 1) parts.push(`<polyline points="${run.join(' ')}" fill="none" stroke="currentColor" stroke-width="1.5"/>`)
    run = []
  }
  let prevX = -2
  for (const c of cols) {
    if (c.ms === null || c.x > prevX + Math.max(2, w / 200)) flush()
    if (c.ms !== null) run.push(`${xOf(c.x)},${yOf(c.ms)}`)
    prevX = c.x
  }
  flush()
  if (!points.length) parts.push(`<text x="${pad.left + w / 2}" y="${pad.top + h / 2}" text-anchor="middle" font-size="12" fill="currentColor">No data yet</text>`)
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${o.width} ${o.height}" width="100%" preserveAspectRatio="none" role="img" aria-label="${esc(summary)}">` +
    `<title>${esc(o.label)}</title><desc>${esc(summary)}</desc>${parts.join('')}</svg>`
  return { svg, summary }
}

/**
 * A small 24 h sparkline for the board: the line only, labelled in words. Fifty of them
 * make up most of the board's bytes, so it is written tersely: no xmlns (it is inline
 * HTML), the failures as one path, and the label once.
 */
export function sparkline(points: ChartPoint[], from: Date, to: Date, label: string): Chart {
  const width = 120
  const height = 24
  const summary = summarize(points, label)
  const cols = reduce(points, width, from, to)
  const max = Math.max(1, ...cols.map((c) => c.ms ?? 0))
  const parts: string[] = []
  const failures = cols.filter((c) => c.up !== null && c.up < 1).map((c) => `M${c.x} 0v${height}`)
  if (failures.length) parts.push(`<path d="${failures.join('')}" stroke="#c0392b" stroke-width="1.5"/>`)
  // Whole pixels: a 24-pixel-high line shows no tenth of one, and 50 rows of them are most of the board.
  const line = cols.filter((c) => c.ms !== null).map((c) => `${c.x},${Math.round(height - 2 - ((c.ms as number) / max) * (height - 4))}`)
  if (line.length > 1) parts.push(`<polyline points="${line.join(' ')}" fill="none" stroke="currentColor" stroke-width="1"/>`)
  const svg = `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(summary)}">${parts.join('')}</svg>`
  return { svg, summary }
}

function niceCeiling(v: number): number {
  const mag = 10 ** Math.floor(Math.log10(v))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * mag >= v) return step * mag
  return 10 * mag
}
