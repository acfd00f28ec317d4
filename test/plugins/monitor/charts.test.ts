// The inline SVG charts: valid, labelled in words, and small whatever the number of points.
import { expect } from 'chai'
import { responseChart, sparkline } from '../../../plugins/monitor/charts.ts'
import type { ChartPoint } from '../../../plugins/monitor/uptime.ts'

describe('monitor: server-rendered SVG charts', () => {
  const to = new Date('2026-11-30T12:00:00Z')
  const from = new Date(to.getTime() - 86_400_000)
  // The page hands the axis its dates written for the reader (ctx.http.formatDate).
  const stamp = (d: Date) => `${d.toISOString().slice(11, 16)} at the reader's`
  const options = { width: 640, height: 200, from, to, label: 'Plex: response time over the last 24 hours', stamp }
  const wellFormed = (svg: string) => {
    // The sparkline is inline HTML only, without the xmlns a standalone chart keeps.
    expect(svg).to.match(/^<svg (xmlns="http:\/\/www.w3.org\/2000\/svg" )?[^>]*role="img" aria-label="[^"]+">/)
    expect(svg).to.match(/<\/svg>$/)
    expect(svg).not.to.match(/NaN|Infinity|undefined/)
    expect(svg).not.to.include('<script')
  }

  it('says so in words when there are no points', () => {
    const chart = responseChart([], options)
    wellFormed(chart.svg)
    expect(chart.summary).to.equal('Plex: response time over the last 24 hours: no checks recorded in this period.')
    expect(chart.svg).to.include('No data yet')
    expect(chart.svg).to.include('>12:00 at the reader&#39;s</text>')
    expect(chart.svg).to.include(`<desc>${chart.summary}</desc>`)
    wellFormed(sparkline([], from, to, 'Plex').svg)
  })

  it('draws one point as a dot with its figure in the text', () => {
    const chart = responseChart([{ at: new Date(to.getTime() - 3_600_000), ms: 42, up: 1 }], options)
    wellFormed(chart.svg)
    expect(chart.svg).to.match(/<circle cx="[\d.]+" cy="[\d.]+" r="2"/)
    expect(chart.summary).to.equal('Plex: response time over the last 24 hours: average 42 ms, fastest 42 ms, slowest 42 ms; no failures.')
  })

  it('keeps 10,000 points small, keeps the spike, and marks failures', () => {
    const points: ChartPoint[] = Array.from({ length: 10_000 }, (_, i) => ({
      at: new Date(from.getTime() + (i * 86_400_000) / 10_000),
      ms: i === 5000 ? 9000 : i % 500 === 0 ? null : 100 + (i % 50),
      up: i % 500 === 0 ? 0 : 1,
    }))
    const chart = responseChart(points, options)
    wellFormed(chart.svg)
    expect(chart.svg.length).to.be.below(40_000)
    expect(chart.svg).to.include('10000 ms') // the axis makes room for the spike
    expect(chart.svg).to.include('<title>failures</title>')
    expect(chart.summary).to.match(/slowest 9000 ms; failures in 20 of 10000 periods\.$/)
    const spark = sparkline(points, from, to, 'Plex, last 24 hours')
    wellFormed(spark.svg)
    expect(spark.svg.length).to.be.below(10_000)
    expect(spark.svg).to.match(/<path d="(M\d+ 0v24)+" stroke="#c0392b"/) // the failures, not only a gap
  })

  it('escapes a hostile service name in the text alternative', () => {
    const chart = responseChart([], { ...options, label: '<img src=x onerror=alert(1)>"' })
    expect(chart.svg).not.to.include('<img')
    expect(chart.svg).to.include('&#60;img src=x onerror=alert(1)&#62;&#34;')
  })
})
